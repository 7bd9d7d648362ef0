"""Reading what really happened from a workflow's event history.

Temporal writes ``ActivityTaskStarted`` only when an activity closes, once per scheduled
activity, carrying the attempt that closed it (``attempt``), the worker that ran it
(``identity`` = ``pid@host``) and the failure of the attempt before (``last_failure``).
Retries are therefore visible as ``attempt > 1``, fallbacks as a second scheduled tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType, RetryState, TimeoutType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle

from opsflow.models import ToolOutput


@dataclass
class ActivityRun:
    """One scheduled activity (all its attempts) as the history records it."""

    name: str
    activity_id: str
    scheduled_event_id: int
    scheduled_order: int
    attempt: int = 0  # attempt of the closing start; 0 = never started
    identity: str = ""
    last_failure: Failure | None = None
    outcome: str = "open"  # completed | failed | timed_out | canceled | open
    retry_state: str = ""
    timeout_type: str = ""
    failure_type: str = ""
    completions: int = 0
    result: Any = None  # the raw Payloads of a completion

    @property
    def last_failure_timeout(self) -> str:
        if self.last_failure is None or not self.last_failure.HasField("timeout_failure_info"):
            return ""
        return TimeoutType.Name(self.last_failure.timeout_failure_info.timeout_type)


def _failure_details(failure: Failure) -> tuple[str, str]:
    """(timeout type, application error type) of an attempt's failure, through causes."""
    current: Failure | None = failure
    timeout = ""
    app_type = ""
    while current is not None:
        if current.HasField("timeout_failure_info") and not timeout:
            timeout = TimeoutType.Name(current.timeout_failure_info.timeout_type)
        if current.HasField("application_failure_info") and not app_type:
            app_type = current.application_failure_info.type
        current = current.cause if current.HasField("cause") else None
    return timeout, app_type


async def activity_runs(handle: WorkflowHandle[Any, Any]) -> list[ActivityRun]:
    history = await handle.fetch_history()
    return runs_from_events(list(history.events))


def runs_from_events(events: list[HistoryEvent]) -> list[ActivityRun]:
    runs: dict[int, ActivityRun] = {}
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            runs[event.event_id] = ActivityRun(
                name=attrs.activity_type.name,
                activity_id=attrs.activity_id,
                scheduled_event_id=event.event_id,
                scheduled_order=len(runs),
            )
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            run = runs[started.scheduled_event_id]
            run.attempt = started.attempt
            run.identity = started.identity
            run.last_failure = started.last_failure if started.HasField("last_failure") else None
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            run = runs[done.scheduled_event_id]
            run.outcome = "completed"
            run.completions += 1
            run.result = done.result
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            failed = event.activity_task_failed_event_attributes
            run = runs[failed.scheduled_event_id]
            run.outcome = "failed"
            run.retry_state = RetryState.Name(failed.retry_state)
            run.timeout_type, run.failure_type = _failure_details(failed.failure)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            timed_out = event.activity_task_timed_out_event_attributes
            run = runs[timed_out.scheduled_event_id]
            run.outcome = "timed_out"
            run.retry_state = RetryState.Name(timed_out.retry_state)
            run.timeout_type, run.failure_type = _failure_details(timed_out.failure)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
            canceled = event.activity_task_canceled_event_attributes
            runs[canceled.scheduled_event_id].outcome = "canceled"
    return sorted(runs.values(), key=lambda r: r.scheduled_order)


def runs_of(runs: list[ActivityRun], name: str) -> list[ActivityRun]:
    return [r for r in runs if r.name == name]


async def tool_outputs(client: Client, runs: list[ActivityRun]) -> list[ToolOutput]:
    """Every completed tool result, decoded with the client's data converter."""
    outputs = []
    for run in runs:
        if run.outcome != "completed" or run.result is None or not run.result.payloads:
            continue
        if run.name in {
            "plan_request",
            "rule_plan",
            "summarize",
            "template_summary",
            "analyze",
            "load_tool_context",
        }:
            continue
        [output] = await client.data_converter.decode(list(run.result.payloads), [ToolOutput])
        outputs.append(output)
    return outputs


async def workflow_task_failures(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """Messages of failed workflow tasks (a workflow stuck on a bug shows them, retrying)."""
    history = await handle.fetch_history()
    messages = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failure = event.workflow_task_failed_event_attributes.failure
            text = failure.message
            cause = failure.cause if failure.HasField("cause") else None
            while cause is not None:
                text += f" <- {cause.message}"
                cause = cause.cause if cause.HasField("cause") else None
            messages.append(text)
    return messages
