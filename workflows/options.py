"""Tool policies become activity options here, clipped so no timeout outlives the deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from opsflow.policies import ToolPolicy

# Below this much time left, starting another attempt is pointless.
MIN_USEFUL_S = 0.2


def activity_options(policy: ToolPolicy, remaining_s: float | None) -> dict[str, Any]:
    schedule_to_close = policy.schedule_to_close_s
    start_to_close = policy.start_to_close_s
    if remaining_s is not None:
        schedule_to_close = max(MIN_USEFUL_S, min(schedule_to_close, remaining_s))
        start_to_close = max(MIN_USEFUL_S, min(start_to_close, schedule_to_close))
    options: dict[str, Any] = {
        "start_to_close_timeout": timedelta(seconds=start_to_close),
        "schedule_to_close_timeout": timedelta(seconds=schedule_to_close),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=policy.initial_interval_s),
            backoff_coefficient=policy.backoff,
            maximum_interval=timedelta(seconds=policy.max_interval_s),
            maximum_attempts=policy.maximum_attempts,
            non_retryable_error_types=list(policy.non_retryable_error_types),
        ),
    }
    if policy.heartbeat_timeout_s is not None:
        options["heartbeat_timeout"] = timedelta(seconds=policy.heartbeat_timeout_s)
    return options


R = TypeVar("R")


async def execute_with_policy(
    name: str,
    arg: Any,
    result_type: type[R],
    *,
    policies: dict[str, ToolPolicy],
    remaining_s: float | None,
    summary: str,
) -> R:
    """One non-tool activity call: options from the activity's policy (or the default)."""
    result: R = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        summary=summary,
        **activity_options(policies.get(name, ToolPolicy()), remaining_s),
    )
    return result
