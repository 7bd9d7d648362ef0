"""Per-tool execution policy: timeouts, heartbeat, retries, row cap.

Defaults live here; ``OPSFLOW_TOOL_POLICIES`` (a JSON object keyed by tool) overrides
fields. The workflow turns a policy into activity options, so no call site hard-codes one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pydantic
from pydantic import BaseModel, Field

from opsflow.errors import NON_RETRYABLE_CODES, ValidationError


class ToolPolicy(BaseModel):
    start_to_close_s: float = 10.0
    schedule_to_close_s: float = 30.0
    heartbeat_timeout_s: float | None = None
    initial_interval_s: float = 0.5
    backoff: float = 2.0
    max_interval_s: float = 5.0
    maximum_attempts: int = 3
    non_retryable_error_types: list[str] = Field(default_factory=lambda: list(NON_RETRYABLE_CODES))
    max_rows: int = 5000


# Answers an LLM retry cannot change (auth, quota, bad request, invalid plan, budget, open
# breaker): these go straight to the rule planner or the template summary.
LLM_FINAL_CODES: tuple[str, ...] = (
    "LLM_AUTH",
    "LLM_QUOTA",
    "LLM_BAD_REQUEST",
    "LLM_EMPTY_RESPONSE",
    "LLM_NOT_CONFIGURED",
    "LLM_DISABLED",
    "LLM_BUDGET",
    "PLAN_INVALID",
)
_LLM_FINAL = list(NON_RETRYABLE_CODES + LLM_FINAL_CODES)

_SCAN = {"heartbeat_timeout_s": 3.0, "start_to_close_s": 15.0, "schedule_to_close_s": 40.0}

DEFAULT_POLICIES: dict[str, ToolPolicy] = {
    "ci_lookup": ToolPolicy(start_to_close_s=5.0, schedule_to_close_s=15.0),
    "topology_traverse": ToolPolicy(start_to_close_s=8.0, schedule_to_close_s=20.0),
    "metric_query": ToolPolicy(**_SCAN, max_rows=200_000),
    "event_query": ToolPolicy(start_to_close_s=8.0, schedule_to_close_s=20.0),
    "direct_query": ToolPolicy(**_SCAN, max_rows=1000),
    "metric_rollup_fallback": ToolPolicy(
        start_to_close_s=10.0, schedule_to_close_s=20.0, maximum_attempts=2, max_rows=50_000
    ),
    "topology_snapshot_fallback": ToolPolicy(
        start_to_close_s=5.0, schedule_to_close_s=10.0, maximum_attempts=2
    ),
    # Non-tool activities.
    "plan_request": ToolPolicy(
        start_to_close_s=30.0,
        schedule_to_close_s=60.0,
        maximum_attempts=3,
        initial_interval_s=1.0,
        non_retryable_error_types=_LLM_FINAL,
    ),
    "rule_plan": ToolPolicy(start_to_close_s=10.0, schedule_to_close_s=30.0),
    "tool_stats_snapshot": ToolPolicy(start_to_close_s=5.0, schedule_to_close_s=10.0),
    "analyze": ToolPolicy(start_to_close_s=30.0, schedule_to_close_s=60.0),
    "summarize": ToolPolicy(
        start_to_close_s=30.0,
        schedule_to_close_s=60.0,
        maximum_attempts=2,
        initial_interval_s=1.0,
        non_retryable_error_types=_LLM_FINAL,
    ),
    "template_summary": ToolPolicy(start_to_close_s=10.0, schedule_to_close_s=20.0),
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
