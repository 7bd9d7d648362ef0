"""How an answer moves the thread's context: focus, established CIs and findings, time."""

from __future__ import annotations

from datetime import datetime

from opsflow.models.context import MAX_CONTEXT_CIS, MAX_CONTEXT_FINDINGS, ThreadContext
from opsflow.models.result import OrchestrationResult, Status

# Causes of one answer that join the context (the rest stay in that answer).
CAUSES_KEPT = 3


def advance_context(
    context: ThreadContext,
    result: OrchestrationResult,
    *,
    asked_about: str | None,
    pinned_at: datetime | None,
) -> ThreadContext:
    """The context after ``result``. A failed answer establishes nothing: it keeps the focus
    (a follow-up naming an unknown CI must not make "it" point at that name)."""
    if result.status is Status.FAILURE:
        return context.model_copy(update={"pinned_at": pinned_at})
    focus = result.focus_ci or asked_about or context.focus_ci
    causes = result.root_causes[:CAUSES_KEPT]
    fresh = [c for c in [focus, *(c.ci for c in causes)] if c is not None]
    findings = [
        f"{c.ci}: root-cause candidate (score {c.score:.2f}) for {focus or 'the question'}"
        + (f"; {c.evidence[0].description[:160]}" if c.evidence else "")
        for c in causes
    ]
    return ThreadContext(
        focus_ci=focus,
        cis=_first_unique(fresh + context.cis)[:MAX_CONTEXT_CIS],
        findings=(findings + context.findings)[:MAX_CONTEXT_FINDINGS],
        last_root_cause=causes[0].ci if causes else context.last_root_cause,
        reference_time=result.reference_time or context.reference_time,
        pinned_at=pinned_at,
    )


def _first_unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
