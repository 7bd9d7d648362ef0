"""Phase 1: planning. LLM (or offline rules) in ``plan_request``; ``rule_plan`` on failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsflow.contracts import PLANNER_OVERRIDE, PlanInput, PlanOutcome
    from opsflow.models import FallbackDetails, OpsRequest
    from opsflow.policies import ToolPolicy

from workflows.failures import FailureInfo, classify
from workflows.options import execute_with_policy

# Failures that say the question itself is wrong: no other planner can fix them.
REQUEST_ERROR_CODES = frozenset({"UNKNOWN_TENANT", "UNKNOWN_CI", "VALIDATION_ERROR"})


class RequestRejected(Exception):
    def __init__(self, info: FailureInfo) -> None:
        super().__init__(info.message)
        self.info = info


@dataclass
class PlanningResult:
    outcome: PlanOutcome
    fallbacks: list[FallbackDetails] = field(default_factory=list)


async def plan_phase(
    request: OpsRequest,
    reference_time: datetime,
    catalog_json: str,
    policies: dict[str, ToolPolicy],
    remaining_s: float,
) -> PlanningResult:
    if request.plan_override is not None:
        return PlanningResult(PlanOutcome(plan=request.plan_override, planner=PLANNER_OVERRIDE))
    plan_input = PlanInput(
        tenant_id=request.tenant_id,
        question=request.question,
        reference_time=reference_time,
        require_llm=request.require_llm,
        catalog_json=catalog_json,
        thread_context=request.thread_context,
    )
    try:
        outcome = await _execute("plan_request", plan_input, policies, remaining_s)
        return PlanningResult(outcome)
    except ActivityError as err:
        info = classify(err)
        if info.code in REQUEST_ERROR_CODES:
            raise RequestRejected(info) from err
        workflow.logger.warning("planner_fallback", extra={"code": info.code})
    fallback = FallbackDetails(
        reason=info.reason if info.reason != "primary_error" else "llm_error",
        tool_attempted="plan_request",
        tool_used_fallback="rule_plan",
        error_code=info.code,
    )
    try:
        outcome = await _execute("rule_plan", plan_input, policies, remaining_s)
    except ActivityError as err:
        raise RequestRejected(classify(err)) from err
    return PlanningResult(outcome, [fallback])


async def _execute(
    name: str, plan_input: PlanInput, policies: dict[str, ToolPolicy], remaining_s: float
) -> PlanOutcome:
    return await execute_with_policy(
        name,
        plan_input,
        PlanOutcome,
        policies=policies,
        remaining_s=remaining_s,
        summary=f"{name} [{plan_input.tenant_id}] {plan_input.question[:80]}",
    )
