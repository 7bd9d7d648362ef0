"""Phase 2, pure: check the plan's DAG and resolve every step to a tool chain."""

from __future__ import annotations

from pydantic import BaseModel, Field

from opsflow.dag import dag_problems
from opsflow.models import ParamValue, Plan, PlanStep
from opsflow.registry import ToolCapabilityRegistry


class ToolInvocation(BaseModel):
    tool: str
    capability: str
    params: dict[str, ParamValue] = Field(default_factory=dict)


class ResolvedStep(BaseModel):
    step: PlanStep
    # Primary first, then the fallbacks in order; empty when the step was rejected.
    chain: list[ToolInvocation] = Field(default_factory=list)
    rejection: str | None = None


def plan_problems(plan: Plan) -> list[str]:
    """The plan's DAG problems as sentences (the ``PLAN_INVALID`` message)."""
    return [str(p) for p in dag_problems(plan)]


def resolve_plan(plan: Plan, registry: ToolCapabilityRegistry) -> list[ResolvedStep]:
    resolved = []
    for step in plan.steps:
        problems = registry.check_params(step.capability, step.params)
        choice = registry.recommend_tool(step.capability)
        if problems or choice is None:
            resolved.append(
                ResolvedStep(step=step, rejection="; ".join(problems) or "no tool for capability")
            )
            continue
        chain = [
            ToolInvocation(tool=name, capability=step.capability, params=step.params)
            for name in [choice.primary, *choice.fallbacks]
        ]
        chain += _alternative_chain(step, registry)
        resolved.append(ResolvedStep(step=step, chain=chain))
    return resolved


def _alternative_chain(step: PlanStep, registry: ToolCapabilityRegistry) -> list[ToolInvocation]:
    """Tools of the step's fallback capability, when it names a valid one."""
    if step.fallback_capability is None:
        return []
    if registry.check_params(step.fallback_capability, step.fallback_params):
        return []
    choice = registry.recommend_tool(step.fallback_capability)
    if choice is None:
        return []
    return [
        ToolInvocation(tool=name, capability=step.fallback_capability, params=step.fallback_params)
        for name in [choice.primary, *choice.fallbacks]
    ]
