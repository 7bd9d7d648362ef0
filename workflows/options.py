"""Tool policies become activity options here, clipped so no timeout outlives the deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from opsflow.policies import ToolPolicy

# Below this much time left, starting another attempt is pointless.
MIN_USEFUL_S = 0.2

# Runs started after this patch run the short internal phases (tool context, analyze,
# summaries) as local activities: same timeouts and retries, but no server round trip
# per call (bench/README.md, "overhead"). Tool calls stay ordinary activities.
LOCAL_PHASES_PATCH = "local-phase-activities"


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
    local: bool = False,
) -> R:
    """One non-tool activity call: options from the activity's policy (or the default)."""
    return await run_phase_activity(
        name,
        [arg],
        result_type,
        policy=policies.get(name, ToolPolicy()),
        remaining_s=remaining_s,
        summary=summary,
        local=local,
    )


async def run_phase_activity(
    name: str,
    args: list[Any],
    result_type: type[R],
    *,
    policy: ToolPolicy,
    remaining_s: float | None,
    summary: str,
    local: bool,
) -> R:
    """``local`` asks for a local activity; runs begun before LOCAL_PHASES_PATCH keep the
    ordinary activity their histories recorded."""
    options = activity_options(policy, remaining_s)
    if local and workflow.patched(LOCAL_PHASES_PATCH):
        # A local activity cannot heartbeat; its start_to_close bounds it instead.
        options.pop("heartbeat_timeout", None)
        try:
            local_result: R = await workflow.execute_local_activity(
                name, args=args, result_type=result_type, summary=summary, **options
            )
        except ActivityError:
            raise
        except FailureError as err:
            # A local activity's failure arrives bare (ApplicationError, TimeoutError);
            # callers handle one shape, the ActivityError an ordinary activity raises.
            raise ActivityError(
                f"local activity {name} failed",
                scheduled_event_id=0,
                started_event_id=0,
                identity="",
                activity_type=name,
                activity_id="",
                retry_state=None,
            ) from err
        return local_result
    result: R = await workflow.execute_activity(
        name, args=args, result_type=result_type, summary=summary, **options
    )
    return result
