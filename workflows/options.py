"""Tool policies become activity options here, clipped so no timeout outlives the deadline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from opsflow.policies import DEFAULT_POLICY, ToolPolicy

# Below this much time left, starting another attempt is pointless.
MIN_USEFUL_S = 0.2

# The short internal phases (tool context, analyze, summaries) run as local activities:
# same timeouts and retries, no server round trip per call (docs/DECISIONS.md; the patch
# that introduced them is retired).


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


def activity_name(activity: Callable[..., Any]) -> str:
    """The name an ``@activity.defn`` method is registered (and recorded) under."""
    defn = getattr(activity, "__temporal_activity_definition", None)
    if defn is None:
        raise TypeError(f"{activity.__qualname__} is not an activity")
    name: str = defn.name
    return name


async def run_phase_activity(
    activity: Callable[..., Awaitable[R]],
    args: Sequence[Any],
    *,
    policies: Mapping[str, ToolPolicy],
    remaining_s: float | None,
    summary: str,
    local: bool = False,
) -> R:
    """One fixed-phase activity, called by method reference, with options from its policy.

    ``local``: a local activity (the short internal phases); otherwise an ordinary one.
    """
    name = activity_name(activity)
    options = activity_options(policies.get(name, DEFAULT_POLICY), remaining_s)
    if local:
        # A local activity cannot heartbeat; its start_to_close bounds it instead.
        options.pop("heartbeat_timeout", None)
        try:
            local_result: R = await workflow.execute_local_activity_method(
                activity, args=args, summary=summary, **options
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
    result: R = await workflow.execute_activity_method(
        activity, args=args, summary=summary, **options
    )
    return result
