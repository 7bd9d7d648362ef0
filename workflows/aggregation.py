"""Phase 4: deterministic findings in ``analyze``, then the narrative (LLM or template)."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsflow.contracts import AnalysisResult, SummaryInput, SummaryOutcome
    from opsflow.models import AnalysisInput, FallbackDetails, Findings
    from opsflow.policies import ToolPolicy
    from opsflow.summary import template_summary

from workflows.failures import classify
from workflows.options import execute_with_policy

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
    tenant = analysis_input.tenant_id
    try:
        analysis = await execute_with_policy(
            "analyze",
            analysis_input,
            AnalysisResult,
            policies=policies,
            remaining_s=AGGREGATION_BUDGET_S,
            summary=f"analyze [{tenant}] {len(analysis_input.outputs)} step results",
            local=True,
        )
    except ActivityError as err:
        info = classify(err)
        notes.append(f"analysis failed ({info.code}): {info.message}")
        analysis = AnalysisResult(findings=Findings(focus_ci=analysis_input.focus_ci))
    summary_input = summary_input.model_copy(update={"findings": analysis.findings})
    fallbacks: list[FallbackDetails] = []
    try:
        summary = await _summarize("summarize", summary_input, policies)
    except ActivityError as err:
        info = classify(err)
        fallbacks.append(
            FallbackDetails(
                reason=info.reason if info.reason != "primary_error" else "llm_error",
                tool_attempted="summarize",
                tool_used_fallback="template_summary",
                error_code=info.code,
            )
        )
        try:
            summary = await _summarize("template_summary", summary_input, policies)
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
    name: str, summary_input: SummaryInput, policies: dict[str, ToolPolicy]
) -> SummaryOutcome:
    return await execute_with_policy(
        name,
        summary_input,
        SummaryOutcome,
        policies=policies,
        remaining_s=AGGREGATION_BUDGET_S,
        summary=f"{name} [{summary_input.tenant_id}]",
        local=True,
    )
