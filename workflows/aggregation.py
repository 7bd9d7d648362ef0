"""Phase 4: deterministic findings in ``analyze``, then the narrative (LLM or template)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.analysis import AnalysisActivities
    from activities.summary import SummaryActivities
    from opsflow.contracts import AnalysisResult, SummaryInput, SummaryOutcome
    from opsflow.models import AnalysisInput, FallbackDetails, Findings
    from opsflow.names import ActivityName, StepReason
    from opsflow.policies import ToolPolicy
    from opsflow.summary import template_summary

from workflows.failures import classify, llm_reason
from workflows.options import run_phase_activity

# Aggregation may run past the deadline, but only briefly: it builds the answer.
AGGREGATION_BUDGET_S = 20.0


@dataclass
class AggregationResult:
    analysis: AnalysisResult
    summary: SummaryOutcome
    fallbacks: list[FallbackDetails] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def aggregate_phase(
    analysis_input: AnalysisInput,
    summary_input: SummaryInput,
    policies: dict[str, ToolPolicy],
) -> AggregationResult:
    notes: list[str] = []
    fallbacks: list[FallbackDetails] = []
    tenant = analysis_input.tenant_id
    try:
        analysis = await run_phase_activity(
            AnalysisActivities.analyze,
            [analysis_input],
            policies=policies,
            remaining_s=AGGREGATION_BUDGET_S,
            summary=f"analyze [{tenant}] {len(analysis_input.outputs)} step results",
            local=True,
        )
    except ActivityError as err:
        # The answer is still written from the step results, without findings: that is a
        # degraded answer, and it says so (a fallback entry, and a note in the findings).
        info = classify(err)
        note = f"analysis failed ({info.code}): {info.message}"
        notes.append(note)
        fallbacks.append(
            FallbackDetails(
                reason=StepReason.ANALYSIS_FAILED,
                tool_attempted=ActivityName.ANALYZE,
                tool_used_fallback=None,
                error_code=info.code,
            )
        )
        analysis = AnalysisResult(findings=Findings(focus_ci=analysis_input.focus_ci, notes=[note]))
    summary_input = summary_input.model_copy(update={"findings": analysis.findings})
    try:
        summary = await _summarize(SummaryActivities.summarize, summary_input, policies)
    except ActivityError as err:
        info = classify(err)
        fallbacks.append(
            FallbackDetails(
                reason=llm_reason(info),
                tool_attempted=ActivityName.SUMMARIZE,
                tool_used_fallback=ActivityName.TEMPLATE_SUMMARY,
                error_code=info.code,
            )
        )
        try:
            summary = await _summarize(SummaryActivities.template_summary, summary_input, policies)
        except ActivityError as fallback_err:
            # Even the template activity failed (an overloaded worker): the template is a
            # pure function, so the answer is still written, here, deterministically.
            notes.append(f"template_summary failed ({classify(fallback_err).code})")
            summary = SummaryOutcome(
                text=template_summary(
                    summary_input.question, summary_input.findings, summary_input.steps
                ),
                writer="template",
            )
    return AggregationResult(analysis=analysis, summary=summary, fallbacks=fallbacks, notes=notes)


async def _summarize(
    activity: Callable[[SummaryActivities, SummaryInput], Awaitable[SummaryOutcome]],
    summary_input: SummaryInput,
    policies: dict[str, ToolPolicy],
) -> SummaryOutcome:
    return await run_phase_activity(
        activity,
        [summary_input],
        policies=policies,
        remaining_s=AGGREGATION_BUDGET_S,
        summary=f"{activity.__name__} [{summary_input.tenant_id}]",
        local=True,
    )
