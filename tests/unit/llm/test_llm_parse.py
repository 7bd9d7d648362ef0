from __future__ import annotations

import json

import pytest

from opsflow.errors import PlanningError
from opsflow.llm import PlanParseError, build_repair_messages, parse_plan


def step(id_: str, capability: str = "ci_search", **extra: object) -> dict[str, object]:
    return {"id": id_, "capability": capability, **extra}


def errors_of(content: str, **kwargs: object) -> list[str]:
    with pytest.raises(PlanParseError) as info:
        parse_plan(content, **kwargs)  # type: ignore[arg-type]
    return info.value.errors


def test_valid_plan() -> None:
    plan = parse_plan(json.dumps({"steps": [step("a"), step("b", depends_on=["a"])]}))
    assert [s.id for s in plan.steps] == ["a", "b"]


def test_code_fences_are_tolerated() -> None:
    content = "```json\n" + json.dumps({"steps": [step("a")]}) + "\n```"
    assert parse_plan(content).steps[0].id == "a"


def test_error_is_a_non_retryable_planning_error() -> None:
    with pytest.raises(PlanningError) as info:
        parse_plan("")
    assert info.value.code == "PLANNING_ERROR"
    assert not info.value.retryable
    assert info.value.details == {"errors": ["the response was empty; expected one JSON object"]}


def test_malformed_json_names_the_position() -> None:
    (error,) = errors_of('{"steps": [')
    assert error.startswith("invalid JSON at line 1 column 12:")


def test_not_an_object() -> None:
    assert errors_of("[1, 2]") == ["expected a JSON object with a 'steps' list, got a JSON array"]


def test_pydantic_errors_are_readable() -> None:
    errors = errors_of(
        json.dumps({"steps": [{"id": "bad id!", "capability": "ci_search", "colour": "red"}]})
    )
    assert any(e.startswith("steps[0].id: String should match pattern") for e in errors)
    assert "steps[0].colour: unknown field (not in the schema)" in errors


def test_missing_steps() -> None:
    assert errors_of("{}") == ["steps: Field required"]


def test_bad_param_value_is_one_error() -> None:
    errors = errors_of(json.dumps({"steps": [step("a", params={"window": {"minutes": 5}})]}))
    assert errors == [
        "steps[0].params.window: a parameter value must be a string, number, boolean, "
        "list of strings or null, got {'minutes': 5}"
    ]


def test_graph_errors() -> None:
    errors = errors_of(
        json.dumps(
            {
                "steps": [
                    step("a"),
                    step("a"),
                    step("b", depends_on=["b"]),
                    step("c", depends_on=["zzz"]),
                ]
            }
        )
    )
    assert "steps: duplicate step ids ['a']; every id must be unique" in errors
    assert "steps[2].depends_on: step 'b' depends on itself" in errors
    assert any(e.startswith("steps[3].depends_on: 'zzz' is not a step id") for e in errors)


def test_cycle_is_reported_as_a_path() -> None:
    errors = errors_of(
        json.dumps(
            {
                "steps": [
                    step("a", depends_on=["c"]),
                    step("b", depends_on=["a"]),
                    step("c", depends_on=["b"]),
                ]
            }
        )
    )
    assert errors == ["steps: dependency cycle a -> c -> b -> a; the plan must be a DAG"]


def test_unknown_capability_only_with_catalog() -> None:
    content = json.dumps({"steps": [step("go", "teleport")]})
    assert parse_plan(content).steps[0].capability == "teleport"
    (error,) = errors_of(content, capabilities={"ci_search", "event_search"})
    assert error == (
        "steps[0].capability: 'teleport' is not in the catalog; use one of: ci_search, event_search"
    )


def test_errors_feed_the_repair_prompt() -> None:
    bad = json.dumps({"steps": [step("go", "teleport")]})
    with pytest.raises(PlanParseError) as info:
        parse_plan(bad, capabilities={"ci_search"})
    messages = build_repair_messages([{"role": "user", "content": "q"}], bad, info.value.errors)
    assert "'teleport' is not in the catalog" in messages[-1]["content"]
