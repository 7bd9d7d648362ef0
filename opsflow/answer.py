"""Phase 5, pure: typed blocks with provenance, the missing list and the status."""

from __future__ import annotations

from pydantic import BaseModel, Field

from opsflow.contracts import AnalysisResult, SummaryOutcome
from opsflow.models import (
    Block,
    FallbackDetails,
    GraphBlock,
    MarkdownBlock,
    Marker,
    MissingItem,
    Reference,
    ReferencesBlock,
    SeriesLine,
    Status,
    StepState,
    TableBlock,
    TimeseriesBlock,
    ToolOutput,
)
from opsflow.status import overall_status
from opsflow.utc import epoch

PREVIEW_ROWS = 25


class AnswerParts(BaseModel):
    status: Status
    blocks: list[Block] = Field(default_factory=list)
    missing: list[MissingItem] = Field(default_factory=list)
    fallbacks: list[FallbackDetails] = Field(default_factory=list)


def build_answer(
    *,
    steps: list[StepState],
    outputs: dict[str, ToolOutput],
    analysis: AnalysisResult,
    summary: SummaryOutcome,
    extra_fallbacks: list[FallbackDetails],
) -> AnswerParts:
    fallbacks = list(extra_fallbacks) + [s.fallback for s in steps if s.fallback is not None]
    missing = [
        MissingItem(step_id=s.id, reason=s.reason or s.status.value, detail=s.detail)
        for s in steps
        if not s.has_result
    ]
    produced = [s.id for s in steps if s.has_result]
    blocks: list[Block] = [MarkdownBlock(title="Answer", text=summary.text, source_steps=produced)]
    blocks += _finding_blocks(analysis)
    blocks += _output_blocks(outputs)
    if missing:
        lines = [
            f"- `{m.step_id}`: {m.reason}{' — ' + m.detail if m.detail else ''}" for m in missing
        ]
        blocks.append(MarkdownBlock(title="Missing from this answer", text="\n".join(lines)))
    references = [
        Reference(label=f"{s.id} via {s.tool}", step_id=s.id, claim_id=s.claim_id)
        for s in steps
        if s.has_result
    ]
    if references:
        blocks.append(ReferencesBlock(title="Sources", items=references, source_steps=produced))
    return AnswerParts(
        status=overall_status(steps, fallbacks),
        blocks=blocks,
        missing=missing,
        fallbacks=fallbacks,
    )


def _finding_blocks(analysis: AnalysisResult) -> list[Block]:
    findings = analysis.findings
    blocks: list[Block] = []
    evidence_steps = sorted(
        {e.step_id for rc in findings.root_causes for e in rc.evidence if e.step_id}
    )
    if findings.root_causes:
        rows = [
            [rank, rc.ci, round(rc.score, 3), "; ".join(e.description for e in rc.evidence[:3])]
            for rank, rc in enumerate(findings.root_causes, start=1)
        ]
        blocks.append(
            TableBlock(
                title="Root-cause candidates",
                columns=["rank", "ci", "score", "evidence"],
                rows=rows,
                total_rows=len(rows),
                source_steps=evidence_steps,
            )
        )
    if analysis.key_series:
        blocks.append(
            TimeseriesBlock(
                title="Key metric",
                series=[
                    SeriesLine(name=f"{s.ci}.{s.metric}", points=s.points())
                    for s in analysis.key_series
                ],
                markers=_markers(analysis),
                source_steps=evidence_steps,
            )
        )
    if analysis.graph_edges:
        blocks.append(
            GraphBlock(
                title="Dependency path",
                nodes=analysis.graph_nodes,
                edges=analysis.graph_edges,
                highlight=findings.path,
            )
        )
    return blocks


def _markers(analysis: AnalysisResult) -> list[Marker]:
    """Changes inside the plotted range, the ones cited as evidence first."""
    stamps = [t for s in analysis.key_series for t in s.epoch_s]
    if not stamps:
        return []
    low, high = min(stamps), max(stamps)
    cited = {
        (e.ci, e.ts)
        for rc in analysis.findings.root_causes
        for e in rc.evidence
        if e.kind == "change"
    }
    changes = [c for c in analysis.findings.changes if low <= epoch(c.ts) <= high]
    changes.sort(key=lambda c: ((c.ci, c.ts) not in cited, c.ts))
    return [Marker(ts=c.ts, label=f"{c.kind} {c.ci}") for c in changes[:5]]


def _output_blocks(outputs: dict[str, ToolOutput]) -> list[Block]:
    blocks: list[Block] = []
    for step_id, out in outputs.items():
        if out.table is not None:
            blocks.append(
                TableBlock(
                    title=f"Query result ({step_id})",
                    columns=out.table.columns,
                    rows=out.table.rows[:PREVIEW_ROWS],
                    total_rows=out.row_count,
                    source_steps=[step_id],
                )
            )
        elif out.events:
            rows = [
                [e.ts.isoformat(), e.ci or "", e.kind, e.severity, e.message[:120]]
                for e in out.events[:PREVIEW_ROWS]
            ]
            blocks.append(
                TableBlock(
                    title=f"Events ({step_id})",
                    columns=["ts", "ci", "kind", "severity", "message"],
                    rows=rows,
                    total_rows=out.row_count,
                    source_steps=[step_id],
                )
            )
        elif out.cis and not out.edges:
            rows = [[c.name, c.ci_type, c.environment, c.status] for c in out.cis[:PREVIEW_ROWS]]
            blocks.append(
                TableBlock(
                    title=f"Configuration items ({step_id})",
                    columns=["name", "type", "environment", "status"],
                    rows=rows,
                    total_rows=out.row_count,
                    source_steps=[step_id],
                )
            )
    return blocks
