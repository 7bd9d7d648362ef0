"""The one DAG checker for plans: structured problems, rendered by each caller.

Resolution turns them into the ``PLAN_INVALID`` message; the LLM parser turns them into
repair feedback that names the place (``steps[2].depends_on``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from opsflow.models import Plan


class DagProblemKind(StrEnum):
    DUPLICATE_ID = "duplicate_id"
    SELF_DEPENDENCY = "self_dependency"
    UNKNOWN_DEPENDENCY = "unknown_dependency"
    CYCLE = "cycle"


@dataclass(frozen=True)
class DagProblem:
    kind: DagProblemKind
    # The step concerned and its position in the plan (-1 for plan-wide problems).
    step_id: str = ""
    index: int = -1
    # The unknown dependency, or the cycle as a path (first id repeated at the end).
    dependency: str = ""
    path: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        if self.kind is DagProblemKind.DUPLICATE_ID:
            return f"duplicate step id {self.step_id!r}"
        if self.kind is DagProblemKind.SELF_DEPENDENCY:
            return f"step {self.step_id!r} depends on itself"
        if self.kind is DagProblemKind.UNKNOWN_DEPENDENCY:
            return f"step {self.step_id!r} depends on unknown step {self.dependency!r}"
        return f"dependency cycle among steps {', '.join(sorted(set(self.path)))}"


def dag_problems(plan: Plan) -> list[DagProblem]:
    """Duplicate ids, self and unknown dependencies; then (only if none) one cycle."""
    problems: list[DagProblem] = []
    ids = [s.id for s in plan.steps]
    known = set(ids)
    for step_id in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(DagProblem(DagProblemKind.DUPLICATE_ID, step_id))
    for n, step in enumerate(plan.steps):
        for dep in step.depends_on:
            if dep == step.id:
                problems.append(DagProblem(DagProblemKind.SELF_DEPENDENCY, step.id, n))
            elif dep not in known:
                problems.append(
                    DagProblem(DagProblemKind.UNKNOWN_DEPENDENCY, step.id, n, dependency=dep)
                )
    if problems:
        return problems
    cycle = _cycle({s.id: s.depends_on for s in plan.steps}, ids)
    if cycle:
        problems.append(DagProblem(DagProblemKind.CYCLE, cycle[0], path=tuple(cycle)))
    return problems


def _cycle(deps: Mapping[str, list[str]], order: list[str]) -> list[str]:
    """One cycle as a path of ids (first id repeated at the end), or [] when acyclic."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    # Recursion depth is bounded by Plan's 32-step limit.
    for node in order:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []
