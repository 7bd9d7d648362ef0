"""Turn an LLM's answer into a ``Plan`` or a list of readable errors for the repair prompt.

Errors name the place (``steps[1].depends_on``) and the problem in words a model can act
on; they are the whole feedback the repair attempt gets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pydantic

from opsflow.errors import PlanningError
from opsflow.models import Plan

_FENCE_RE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(?P<body>.*?)\n?```\s*$", re.DOTALL)
_PARAM_FIELDS = frozenset({"params", "fallback_params"})
_MAX_INPUT_REPR = 80
_JSON_TYPE = {
    "list": "array",
    "str": "string",
    "int": "number",
    "float": "number",
    "bool": "boolean",
    "NoneType": "null",
}


class PlanParseError(PlanningError):
    """``errors`` holds one readable line per problem; ``details`` carries them to the activity."""

    def __init__(self, errors: list[str]) -> None:
        summary = errors[0] if len(errors) == 1 else f"{len(errors)} problems: {errors[0]}; ..."
        super().__init__(f"invalid plan: {summary}", details={"errors": errors})
        self.errors = errors


def _strip_fences(text: str) -> str:
    # Models told "no code fences" still wrap JSON in them often enough to be worth undoing.
    match = _FENCE_RE.match(text)
    return match.group("body").strip() if match else text


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_INPUT_REPR else text[: _MAX_INPUT_REPR - 3] + "..."


def _pydantic_errors(exc: pydantic.ValidationError) -> list[str]:
    errors: list[str] = []
    seen: set[tuple[int | str, ...]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # A bad param value fails every branch of the ParamValue union; say it once, plainly.
        idx = next((i for i, p in enumerate(loc) if p in _PARAM_FIELDS), None)
        if idx is not None and len(loc) > idx + 2:
            key = loc[: idx + 2]
            if key in seen:
                continue
            seen.add(key)
            errors.append(
                f"{_loc(key)}: a parameter value must be a string, number, boolean, "
                f"list of strings or null, got {_short(err.get('input'))}"
            )
            continue
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field (not in the schema)"
        elif err["type"] != "missing" and "input" in err:
            message = f"{message} (got {_short(err['input'])})"
        errors.append(f"{_loc(loc)}: {message}")
    return errors


def _graph_errors(plan: Plan) -> list[str]:
    errors: list[str] = []
    ids = [s.id for s in plan.steps]
    known = set(ids)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        errors.append(f"steps: duplicate step ids {duplicates}; every id must be unique")
    for n, step in enumerate(plan.steps):
        for dep in step.depends_on:
            if dep == step.id:
                errors.append(f"steps[{n}].depends_on: step {step.id!r} depends on itself")
            elif dep not in known:
                errors.append(
                    f"steps[{n}].depends_on: {dep!r} is not a step id of this plan "
                    f"(ids: {', '.join(ids)})"
                )
    if not errors:
        cycle = _cycle(plan)
        if cycle:
            errors.append(f"steps: dependency cycle {' -> '.join(cycle)}; the plan must be a DAG")
    return errors


def _cycle(plan: Plan) -> list[str]:
    """One cycle as a path of ids (first id repeated at the end), or [] when acyclic."""
    deps: Mapping[str, list[str]] = {s.id: s.depends_on for s in plan.steps}
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
    for step in plan.steps:
        if step.id not in state:
            found = visit(step.id)
            if found:
                return found
    return []


def _capability_errors(plan: Plan, capabilities: Collection[str]) -> list[str]:
    allowed = ", ".join(sorted(capabilities))
    return [
        f"steps[{n}].capability: {step.capability!r} is not in the catalog; use one of: {allowed}"
        for n, step in enumerate(plan.steps)
        if step.capability not in capabilities
    ]


def parse_plan(content: str, *, capabilities: Collection[str] | None = None) -> Plan:
    """Parse and check a plan; raise ``PlanParseError`` (a ``PlanningError``) listing every problem.

    With ``capabilities``, a capability outside that set is an error too, so the repair
    prompt can fix it; without it, unknown capabilities are left to tool resolution, which
    rejects just that step.
    """
    text = _strip_fences(content.strip())
    if not text:
        raise PlanParseError(["the response was empty; expected one JSON object"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        near = text[max(0, exc.pos - 30) : exc.pos + 30]
        raise PlanParseError(
            [f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} (near {near!r})"]
        ) from None
    if not isinstance(data, dict):
        kind = _JSON_TYPE.get(type(data).__name__, "value")
        raise PlanParseError([f"expected a JSON object with a 'steps' list, got a JSON {kind}"])
    try:
        plan = Plan.model_validate(data)
    except pydantic.ValidationError as exc:
        raise PlanParseError(_pydantic_errors(exc)) from None
    errors = _graph_errors(plan)
    if capabilities is not None:
        errors += _capability_errors(plan, capabilities)
    if errors:
        raise PlanParseError(errors)
    return plan
