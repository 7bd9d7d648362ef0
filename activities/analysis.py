"""``analyze``: the deterministic findings, computed on full (claimed) tool results.

Heavy numeric work runs here, never in a workflow task; what goes back to history is the
findings plus bounded previews for the answer's blocks.
"""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.claims import load_claim
from activities.resources import WorkerResources
from opsflow.analysis import analyze
from opsflow.contracts import AnalysisResult
from opsflow.models import AnalysisInput, EdgeRecord, Findings, MetricSeries, ToolOutput
from opsflow.models.tool_io import PREVIEW_POINTS
from opsflow.names import ActivityName

MAX_GRAPH_EDGES = 80


class AnalysisActivities:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @activity.defn(name=ActivityName.ANALYZE)
    async def analyze(self, request: AnalysisInput) -> AnalysisResult:
        outputs = {}
        for step_id, out in request.outputs.items():
            outputs[step_id] = (
                await load_claim(self.res.pool, self.res.claims, request.tenant_id, out.claim_id)
                if out.claim_id
                else out
            )
        full = request.model_copy(update={"outputs": outputs})
        # CPU-bound: keep the worker's event loop (and its heartbeats) responsive.
        findings = await asyncio.to_thread(analyze, full)
        return AnalysisResult(
            findings=findings,
            key_series=_key_series(findings, outputs),
            **_graph(findings, outputs),
        )


def _key_series(findings: Findings, outputs: dict[str, ToolOutput]) -> list[MetricSeries]:
    """The top candidate's worst metric, and the focus CI's same metric, downsampled."""
    wanted: list[tuple[str, str]] = []
    if findings.root_causes:
        top = findings.root_causes[0]
        metric = next((e.metric for e in top.evidence if e.metric), None)
        if metric:
            wanted.append((top.ci, metric))
        focus = findings.focus_ci
        if focus and focus != top.ci:
            # The symptom the operator asked about: the focus CI's own worst anomaly.
            own = [a for a in findings.anomalies if a.ci.lower() == focus.lower()]
            own_metric = max(own, key=lambda a: a.deviation).metric if own else metric
            if own_metric:
                wanted.append((focus, own_metric))
    elif findings.anomalies:
        wanted.append((findings.anomalies[0].ci, findings.anomalies[0].metric))
    chosen: list[MetricSeries] = []
    for ci, metric in wanted:
        candidates = [
            s
            for out in outputs.values()
            for s in out.series
            if s.ci.lower() == ci.lower() and s.metric == metric
        ]
        if candidates:
            best = max(candidates, key=lambda s: len(s.values))
            step = max(1, len(best.values) // PREVIEW_POINTS)
            chosen.append(best.sliced(slice(None, None, step)))
    return chosen


def _graph(findings: Findings, outputs: dict[str, ToolOutput]) -> dict[str, object]:
    edges: dict[tuple[str, str], EdgeRecord] = {}
    for out in outputs.values():
        for edge in out.edges:
            edges.setdefault((edge.source, edge.target), edge)
    ordered = sorted(edges.values(), key=lambda e: (e.depth, e.source, e.target))[:MAX_GRAPH_EDGES]
    pairs = [(e.source, e.target) for e in ordered]
    nodes = sorted({n for pair in pairs for n in pair} | set(findings.path))
    return {"graph_nodes": nodes, "graph_edges": pairs}
