"""Bad input is refused by the client before anything starts, with a stable code."""

from __future__ import annotations

from typing import Any

import pytest

from opsflow.errors import AppError
from opsflow.models.request import MAX_QUESTION_CHARS
from opsflow.names import ActivityName, ToolName
from opsflow.policies import load_policies
from opsflow_app.cli.ask import build_request, parse_reference_time
from opsflow_app.cli.errors import CliError


@pytest.mark.parametrize(
    ("question", "tenant", "kwargs"),
    [
        ("", "t_acme", {}),
        ("   ", "t_acme", {}),
        ("x" * (MAX_QUESTION_CHARS + 1), "t_acme", {}),
        ("why is a slow?", "Robert'); DROP TABLE", {}),
        ("why is a slow?", "t_acme", {"deadline_s": 0}),
        ("why is a slow?", "t_acme", {"deadline_s": -5}),
        ("why is a slow?", "t_acme", {"deadline_s": 10_000}),
        ("why is a slow?", "t_acme", {"max_parallel": 0}),
        ("why is a slow?", "t_acme", {"at": "yesterday-ish"}),
    ],
)
def test_bad_requests_get_validation_error(
    question: str, tenant: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(CliError) as raised:
        build_request(question, tenant, **kwargs)
    assert raised.value.code == "VALIDATION_ERROR"
    assert raised.value.exit_code == 2


def test_reference_time_accepts_iso_and_unix_seconds() -> None:
    iso = parse_reference_time("2023-04-18T22:00:00Z")
    unix = parse_reference_time(str(int(iso.timestamp())))  # type: ignore[union-attr]
    assert iso == unix and iso is not None and iso.tzinfo is not None


@pytest.mark.parametrize(
    "spec",
    [
        "{not json",
        "[1, 2]",
        '{"no_such_tool": {}}',
        '{"metric_query": {"maximum_attempts": "many"}}',
    ],
)
def test_invalid_policy_json_is_a_validation_error(spec: str) -> None:
    from opsflow.errors import AppError

    with pytest.raises(AppError) as raised:
        load_policies(spec)
    assert raised.value.code == "VALIDATION_ERROR"


def test_every_activity_policy_is_keyed_by_its_activity_name() -> None:
    # load_tool_context's own policy is overridable under its activity name...
    policies = load_policies('{"load_tool_context": {"start_to_close_s": 2}}')
    assert policies[ActivityName.LOAD_TOOL_CONTEXT].start_to_close_s == 2
    # Every activity the orchestration schedules (the thread's own activity has its own).
    assert set(policies) == {*ToolName, *ActivityName} - {ActivityName.RESOLVE_FOLLOWUP}
    # ...and the old, ignored key is refused instead of silently accepted.
    with pytest.raises(AppError, match="tool_stats_snapshot"):
        load_policies('{"tool_stats_snapshot": {"start_to_close_s": 2}}')
