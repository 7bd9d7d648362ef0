"""Per-tool execution policy: timeouts, heartbeat, retries, row cap.

Defaults live here; ``OPSFLOW_TOOL_POLICIES`` (a JSON object keyed by tool) overrides
fields. The workflow turns a policy into activity options, so no call site hard-codes one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from opsflow.errors import ValidationError
from opsflow.names import ActivityName, ToolName


class ToolPolicy(BaseModel):
    # Frozen: one default instance is shared by every lookup that has no entry.
    model_config = ConfigDict(frozen=True)

    start_to_close_s: float = 10.0
    schedule_to_close_s: float = 30.0
    heartbeat_timeout_s: float | None = None
    initial_interval_s: float = 0.5
    backoff: float = 2.0
    max_interval_s: float = 5.0
    maximum_attempts: int = 3
    # Extra error types never to retry. Empty by default: every ApplicationError our
    # activities raise carries its own ``non_retryable`` (from its class's ``retryable``
    # flag), which Temporal honours whatever this list says; operators may add codes.
    non_retryable_error_types: list[str] = Field(default_factory=list)
    max_rows: int = 5000


# What a tool without its own entry gets (built once: every tool call looks its policy up).
DEFAULT_POLICY = ToolPolicy()

_SCAN = {"heartbeat_timeout_s": 3.0, "start_to_close_s": 15.0, "schedule_to_close_s": 40.0}

DEFAULT_POLICIES: dict[str, ToolPolicy] = {
    ToolName.CI_LOOKUP: ToolPolicy(start_to_close_s=5.0, schedule_to_close_s=15.0),
    ToolName.TOPOLOGY_TRAVERSE: ToolPolicy(start_to_close_s=8.0, schedule_to_close_s=20.0),
    ToolName.METRIC_QUERY: ToolPolicy(**_SCAN, max_rows=200_000),
    ToolName.EVENT_QUERY: ToolPolicy(start_to_close_s=8.0, schedule_to_close_s=20.0),
    ToolName.DIRECT_QUERY: ToolPolicy(**_SCAN, max_rows=1000),
    ToolName.METRIC_ROLLUP_FALLBACK: ToolPolicy(
        start_to_close_s=10.0, schedule_to_close_s=20.0, maximum_attempts=2, max_rows=50_000
    ),
    # A remote server: two attempts, then the step moves on to the coarser query (a down
    # server costs seconds, not the whole deadline); the same bound on the coarse query.
    ToolName.PROMETHEUS_QUERY: ToolPolicy(**_SCAN, maximum_attempts=2, max_rows=200_000),
    ToolName.PROMETHEUS_COARSE_FALLBACK: ToolPolicy(
        start_to_close_s=10.0,
        schedule_to_close_s=20.0,
        heartbeat_timeout_s=3.0,
        maximum_attempts=2,
        max_rows=50_000,
    ),
    ToolName.TOPOLOGY_SNAPSHOT_FALLBACK: ToolPolicy(
        start_to_close_s=5.0, schedule_to_close_s=10.0, maximum_attempts=2
    ),
    # Non-tool activities.
    ActivityName.PLAN_REQUEST: ToolPolicy(
        start_to_close_s=30.0,
        schedule_to_close_s=60.0,
        maximum_attempts=3,
        initial_interval_s=1.0,
    ),
    ActivityName.RULE_PLAN: ToolPolicy(start_to_close_s=10.0, schedule_to_close_s=30.0),
    ActivityName.LOAD_TOOL_CONTEXT: ToolPolicy(start_to_close_s=5.0, schedule_to_close_s=10.0),
    ActivityName.ANALYZE: ToolPolicy(start_to_close_s=30.0, schedule_to_close_s=60.0),
    ActivityName.SUMMARIZE: ToolPolicy(
        start_to_close_s=30.0,
        schedule_to_close_s=60.0,
        maximum_attempts=2,
        initial_interval_s=1.0,
    ),
    ActivityName.TEMPLATE_SUMMARY: ToolPolicy(start_to_close_s=10.0, schedule_to_close_s=20.0),
}


def load_policies(overrides_json: str = "") -> dict[str, ToolPolicy]:
    policies = dict(DEFAULT_POLICIES)
    if not overrides_json.strip():
        return policies
    try:
        overrides = json.loads(overrides_json)
    except json.JSONDecodeError as err:
        raise ValidationError(f"OPSFLOW_TOOL_POLICIES is not JSON: {err}") from err
    if not isinstance(overrides, Mapping):
        raise ValidationError("OPSFLOW_TOOL_POLICIES must be a JSON object keyed by tool")
    for tool, fields in overrides.items():
        if tool not in policies:
            raise ValidationError(f"OPSFLOW_TOOL_POLICIES names unknown tool {tool!r}")
        if not isinstance(fields, Mapping):
            raise ValidationError(f"OPSFLOW_TOOL_POLICIES[{tool!r}] must be an object")
        try:
            policies[tool] = ToolPolicy.model_validate(policies[tool].model_dump() | dict(fields))
        except pydantic.ValidationError as err:
            raise ValidationError(
                f"OPSFLOW_TOOL_POLICIES[{tool!r}]: {err.errors()[0]['msg']}"
            ) from err
    return policies
