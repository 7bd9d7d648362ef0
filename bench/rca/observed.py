"""What the workflow read for one question, taken from its own Temporal history.

The baselines must see exactly the series OpsFlow's analysis saw, not a re-implementation
of the metric tool's window and bucketing (which changes under us). Every tool step is a
Temporal activity: its input (``ToolCall``) and its result (``ToolOutput``) are in the
workflow history, decoded with the client's own data converter (the payload codec
included). A result too large for history is a preview with a claim id; the full result
is loaded with the product's ``load_claim``, the call ``analyze`` itself makes. The
``analyze`` local activity's result (its findings and notes) is in the history's marker.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import asyncpg
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from activities.claims import ClaimCache, load_claim
from bench.rca.baselines import (
    CHANGE_KINDS,
    Peer,
    baro_ranking,
    baro_scores,
    latest_change_ranking,
)
from opsflow.catalog import TOOLS
from opsflow.contracts import AnalysisResult
from opsflow.models import (
    EdgeRecord,
    EventRecord,
    Findings,
    MetricSeries,
    StepState,
    ToolCall,
    ToolOutput,
)

TOOL_NAMES = frozenset(t.tool for t in TOOLS)
ANALYZE = "analyze"
# Temporal's SDK core records a local activity's outcome as a marker of this name; its
# "data" detail is JSON naming the activity type, its "result" detail is the return value.
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass
class Observed:
    """The tool results the workflow handed to ``analyze`` (one per step that answered)."""

    reference_time: datetime | None = None
    outputs: dict[str, ToolOutput] = field(default_factory=dict)
    calls: dict[str, ToolCall] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)  # step id -> claim id it came from
    findings: Findings | None = None

    @property
    def series(self) -> list[MetricSeries]:
        return [s for out in self.outputs.values() for s in out.series]

    @property
    def edges(self) -> list[EdgeRecord]:
        return [e for out in self.outputs.values() for e in out.edges]

    @property
    def events(self) -> list[EventRecord]:
        return [e for out in self.outputs.values() for e in out.events]

    @property
    def focus_ci(self) -> str | None:
        """The CI the question is about, as the workflow resolved it."""
        if self.findings is not None and self.findings.focus_ci:
            return self.findings.focus_ci
        for call in self.calls.values():
            ci = call.params.get("ci")
            if isinstance(ci, str) and ci:
                return ci
        return None

    @property
    def change_events(self) -> int:
        return sum(1 for e in self.events if e.kind in CHANGE_KINDS)

    def peer_rankings(self) -> dict[Peer, list[str]]:
        """Each peer ranker on exactly these tool results; empty when no tool answered."""
        ref = self.reference_time
        if ref is None:
            return {peer: [] for peer in Peer}
        focus = self.focus_ci
        return {
            Peer.BARO: baro_ranking(self.series, ref),
            Peer.LATEST_CHANGE: latest_change_ranking(self.events, self.edges, focus, ref)
            if focus
            else [],
        }

    def agrees_with(self, steps: list[StepState]) -> bool:
        """True when these are the results the workflow recorded: the same steps answered,
        each with the workflow's claim id and row count, and a metric step's series hold
        that many points (the full result, not a history preview)."""
        answered = {s.id: s for s in steps if s.has_result}
        if set(answered) != set(self.outputs):
            return False
        for sid, state in answered.items():
            out = self.outputs[sid]
            if state.claim_id != self.claims.get(sid) or state.row_count != out.row_count:
                return False
            if out.series and sum(len(s.values) for s in out.series) != out.row_count:
                return False
        return True

    def baro_top_series(self, limit: int = 3) -> list[str]:
        """BARO's best series, for studying a miss: which metric carried the score."""
        if self.reference_time is None:
            return []
        top = baro_scores(self.series, self.reference_time)[:limit]
        return [f"{s.ci} {s.metric} {s.score:.3g}" for s in top]

    def metric_notes(self) -> list[str]:
        """The metric tool's own note per step (bucket, span read), for the case listing."""
        return [
            f"{sid}: {out.note}"
            for sid, out in sorted(self.outputs.items())
            if out.series or out.tool.startswith("metric")
        ]


class HasHistory(Protocol):
    async def fetch_history(self) -> WorkflowHistory: ...


# (tenant, claim id) -> the full result; ``claim_loader`` binds the product's ``load_claim``.
ClaimLoader = Callable[[str, str], Awaitable[ToolOutput]]


def claim_loader(pool: asyncpg.Pool) -> ClaimLoader:
    # An empty cache of our own (load_claim never fills it): always the stored claim, never
    # a worker's in-memory copy.
    cache = ClaimCache()

    async def load(tenant: str, claim_id: str) -> ToolOutput:
        return await load_claim(pool, cache, tenant, claim_id)

    return load


async def observe(
    handle: HasHistory, converter: DataConverter, claims: ClaimLoader, tenant: str
) -> Observed:
    history = await handle.fetch_history()
    scheduled: dict[int, HistoryEvent] = {}
    seen = Observed()
    for ev in history.events:
        if ev.HasField("activity_task_scheduled_event_attributes"):
            attrs = ev.activity_task_scheduled_event_attributes
            if attrs.activity_type.name in TOOL_NAMES:
                scheduled[ev.event_id] = ev
        elif ev.HasField("activity_task_completed_event_attributes"):
            done = ev.activity_task_completed_event_attributes
            began = scheduled.get(done.scheduled_event_id)
            if began is None:
                continue
            [call] = await converter.decode(
                began.activity_task_scheduled_event_attributes.input.payloads, [ToolCall]
            )
            [out] = await converter.decode(done.result.payloads, [ToolOutput])
            if out.claim_id:
                seen.claims[call.step_id] = out.claim_id
                out = await claims(tenant, out.claim_id)
            # A step answers once (primary or fallback); the workflow keeps that answer.
            seen.outputs[call.step_id] = out
            seen.calls[call.step_id] = call
            seen.reference_time = call.reference_time
        elif ev.HasField("marker_recorded_event_attributes"):
            found = await _analysis_findings(ev, converter)
            if found is not None:
                seen.findings = found
    return seen


async def _analysis_findings(ev: HistoryEvent, converter: DataConverter) -> Findings | None:
    marker = ev.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER:
        return None
    data = marker.details.get("data")
    result = marker.details.get("result")
    if data is None or result is None or not data.payloads or not result.payloads:
        return None
    meta = _json(data.payloads[0])
    if meta.get("activity_type") != ANALYZE:
        return None
    [analysis] = await converter.decode(result.payloads, [AnalysisResult])
    findings: Findings = analysis.findings
    return findings


def _json(payload: Payload) -> dict[str, Any]:
    # Marker metadata is written by the SDK core as plain JSON, never through our codec.
    try:
        value = json.loads(payload.data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
