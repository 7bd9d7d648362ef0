"""Phase 1: planning. LLM (or offline rules) in ``plan_request``; ``rule_plan`` on failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.planning import PlanningActivities
    from opsflow.contracts import PLANNER_OVERRIDE, PlanInput, PlanOutcome
    from opsflow.models import FallbackDetails, OpsRequest
    from opsflow.names import ActivityName, ErrorCode
    from opsflow.policies import ToolPolicy

from workflows.failures import FailureInfo, classify, llm_reason
from workflows.options import run_phase_activity

# Failures that say the question itself is wrong: no other planner can fix them.
REQUEST_ERROR_CODES = frozenset(
    {ErrorCode.UNKNOWN_TENANT, ErrorCode.UNKNOWN_CI, ErrorCode.VALIDATION_ERROR}
)
# Patch id: runs started before it fell back to rules when --llm had no LLM to use.
REQUIRED_LLM_REFUSES = "required-llm-refuses"
# Patch id: from here planning without an LLM (``plan_request`` on a worker with none, and
# ``rule_plan`` always) is a local activity: a database read and rules, no server round
# trip, and the tools are scheduled in the same workflow task (docs/DECISIONS.md).
LOCAL_RULE_PLANNING = "local-rule-planning"


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
    *,
    llm_configured: bool | None = None,
) -> PlanningResult:
    """``llm_configured``: from the tool context (None: a history from before it)."""
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
    # The context was loaded by this very worker, where a local activity runs too.
    local = llm_configured is False and workflow.patched(LOCAL_RULE_PLANNING)
    try:
        outcome = await _execute(
            PlanningActivities.plan_request, plan_input, policies, remaining_s, local=local
        )
        return PlanningResult(outcome)
    except ActivityError as err:
        info = classify(err)
        if info.code in REQUEST_ERROR_CODES:
            raise RequestRejected(info) from err
        if (
            request.require_llm
            and info.code == ErrorCode.LLM_DISABLED
            and workflow.patched(REQUIRED_LLM_REFUSES)
        ):
            # `ask --llm` asked for the LLM planner and none is configured: planning by
            # rules would answer a different request than the one made.
            raise RequestRejected(info) from err
        workflow.logger.warning("planner_fallback", extra={"code": info.code})
    fallback = FallbackDetails(
        reason=llm_reason(info),
        tool_attempted=ActivityName.PLAN_REQUEST,
        tool_used_fallback=ActivityName.RULE_PLAN,
        error_code=info.code,
    )
    try:
        outcome = await _execute(
            PlanningActivities.rule_plan,
            plan_input,
            policies,
            remaining_s,
            local=workflow.patched(LOCAL_RULE_PLANNING),
        )
    except ActivityError as err:
        raise RequestRejected(classify(err)) from err
    return PlanningResult(outcome, [fallback])


async def _execute(
    activity: Callable[[PlanningActivities, PlanInput], Awaitable[PlanOutcome]],
    plan_input: PlanInput,
    policies: dict[str, ToolPolicy],
    remaining_s: float,
    *,
    local: bool,
) -> PlanOutcome:
    return await run_phase_activity(
        activity,
        [plan_input],
        policies=policies,
        remaining_s=remaining_s,
        summary=f"{activity.__name__} [{plan_input.tenant_id}] {plan_input.question[:80]}",
        local=local,
    )
