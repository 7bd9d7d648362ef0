"""Phase 2, pure: check the plan's DAG and resolve every step to a tool chain."""

from __future__ import annotations

from pydantic import BaseModel, Field

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


def dag_problems(plan: Plan) -> list[str]:
    """Duplicate ids, unknown dependencies and cycles (each cycle reported once)."""
    problems: list[str] = []
    ids = [s.id for s in plan.steps]
    seen: set[str] = set()
    for step_id in ids:
        if step_id in seen:
            problems.append(f"duplicate step id {step_id!r}")
        seen.add(step_id)
    for step in plan.steps:
        for dep in step.depends_on:
            if dep not in seen:
                problems.append(f"step {step.id!r} depends on unknown step {dep!r}")
            if dep == step.id:
                problems.append(f"step {step.id!r} depends on itself")
    if problems:
        return problems
    # Kahn's algorithm: whatever cannot be ordered sits on a cycle.
    indegree = {s.id: len(set(s.depends_on)) for s in plan.steps}
    dependents: dict[str, list[str]] = {s.id: [] for s in plan.steps}
    for step in plan.steps:
        for dep in set(step.depends_on):
            dependents[dep].append(step.id)
    ready = [i for i, d in indegree.items() if d == 0]
    ordered = 0
    while ready:
        current = ready.pop()
        ordered += 1
        for nxt in dependents[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if ordered < len(plan.steps):
        cyclic = sorted(i for i, d in indegree.items() if d > 0)
        problems.append(f"dependency cycle among steps {', '.join(cyclic)}")
    return problems


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
