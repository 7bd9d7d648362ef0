"""Turn an LLM's answer into a ``Plan`` or a list of readable errors for the repair prompt.

Errors name the place (``steps[1].depends_on``) and the problem in words a model can act
on; they are the whole feedback the repair attempt gets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from typing import Any

import pydantic

from opsflow.dag import DagProblemKind, dag_problems
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
    ids = ", ".join(s.id for s in plan.steps)
    errors: list[str] = []
    duplicates = [p.step_id for p in dag_problems(plan) if p.kind is DagProblemKind.DUPLICATE_ID]
    if duplicates:
        errors.append(f"steps: duplicate step ids {duplicates}; every id must be unique")
    for problem in dag_problems(plan):
        where = f"steps[{problem.index}].depends_on"
        if problem.kind is DagProblemKind.SELF_DEPENDENCY:
            errors.append(f"{where}: step {problem.step_id!r} depends on itself")
        elif problem.kind is DagProblemKind.UNKNOWN_DEPENDENCY:
            errors.append(
                f"{where}: {problem.dependency!r} is not a step id of this plan (ids: {ids})"
            )
        elif problem.kind is DagProblemKind.CYCLE:
            errors.append(
                f"steps: dependency cycle {' -> '.join(problem.path)}; the plan must be a DAG"
            )
    return errors


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
