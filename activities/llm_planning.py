"""The LLM planner: structured output from the ``Plan`` schema, one repair round with the
validation errors, then the fallback model. What still fails goes to ``rule_plan``."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.resources import WorkerResources
from opsflow.catalog import default_registry
from opsflow.contracts import PLANNER_LLM, PlanInput, PlanOutcome
from opsflow.errors import PlanningError
from opsflow.llm import (
    LlmCallError,
    PlanParseError,
    build_plan_messages,
    build_repair_messages,
    parse_plan,
    plan_json_schema,
)
from opsflow.models import LlmUsage, Plan
from opsflow.names import ErrorCode
from opsflow.planner import CiInfo
from opsflow.registry import ToolCapabilityRegistry

log = structlog.get_logger(__name__)


class PlanInvalidError(PlanningError):
    code = ErrorCode.PLAN_INVALID


def plan_problems(plan: Plan, registry: ToolCapabilityRegistry) -> list[str]:
    """Known capabilities and parameter types; SQL only where ``database_query`` takes it."""
    problems = []
    for step in plan.steps:
        for problem in registry.check_params(step.capability, step.params):
            problems.append(f"step {step.id}: {problem}")
    return problems


async def plan_with_llm(res: WorkerResources, request: PlanInput, cis: list[CiInfo]) -> PlanOutcome:
    assert res.llm is not None
    registry = default_registry()
    capabilities = registry.capabilities()
    messages = build_plan_messages(
        request.question,
        request.tenant_id,
        request.catalog_json or registry.catalog_text(),
        [c.name for c in cis],
        request.reference_time.isoformat(),
        thread_context=request.thread_context,
    )
    schema = plan_json_schema(capabilities)
    models = [res.settings.llm_model]
    if res.settings.llm_fallback_model:
        models.append(res.settings.llm_fallback_model)
    usage: list[LlmUsage] = []
    errors: list[str] = []
    for model_index, model in enumerate(models):
        conversation = messages
        for purpose in ("plan", "repair"):
            if (
                sum(u.prompt_tokens + u.completion_tokens for u in usage)
                >= res.settings.llm_max_tokens
            ):
                raise PlanInvalidError("LLM token budget spent before a valid plan", details=errors)
            try:
                content, used = await res.llm.complete_json(
                    purpose=purpose,
                    model=model,
                    messages=conversation,
                    schema=schema,
                    schema_name="plan",
                )
            except LlmCallError as err:
                # Transport trouble on the primary model: the fallback model may still answer.
                if err.retryable and model_index + 1 < len(models):
                    log.warning("llm_model_failed", model=model, code=err.code)
                    break
                raise
            used.attempts = activity.info().attempt
            usage.append(used)
            try:
                plan = parse_plan(content, capabilities=capabilities)
                errors = plan_problems(plan, registry)
            except PlanParseError as err:
                errors = err.errors
            if not errors:
                return PlanOutcome(
                    plan=plan,
                    planner=PLANNER_LLM,
                    usage=usage,
                    notes=[
                        f"planned by {model}" + (" after repair" if purpose == "repair" else "")
                    ],
                )
            log.warning("llm_plan_invalid", model=model, purpose=purpose, errors=errors[:5])
            conversation = build_repair_messages(messages, content, errors)
    raise PlanInvalidError(
        "the LLM did not produce a valid plan: " + "; ".join(errors[:5]), details=errors
    )
