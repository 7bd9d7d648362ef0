"""Test harness: real servers, a worker on its own task queue, and a way to ask."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle

from activities.resources import WorkerResources
from opsflow.history_markers import local_activity
from opsflow.models import OpsRequest, OrchestrationResult, Plan
from opsflow.settings import Settings
from opsflow_app.client.questions import start


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, *, activity_overrides: Any = (), **overrides: Any
) -> AsyncIterator[Settings]:
    """A worker on a fresh task queue; ``overrides`` are Settings fields (policies, latency)."""
    async with worker_with_resources(
        client, settings, activity_overrides=activity_overrides, **overrides
    ) as (custom, _):
        yield custom


@asynccontextmanager
async def worker_with_resources(
    client: Client, settings: Settings, *, activity_overrides: Any = (), **overrides: Any
) -> AsyncIterator[tuple[Settings, WorkerResources]]:
    """``running_worker`` that also hands out the worker's resources (its LLM breaker...)."""
    from opsflow_app import worker_main as worker_module

    custom = settings.model_copy(
        update={"task_queue": f"test-{uuid.uuid4().hex[:10]}", **overrides}
    )
    async with (
        worker_module.worker_resources(custom) as res,
        worker_module.build_worker(client, res, activity_overrides=activity_overrides),
    ):
        yield custom, res


async def start_question(
    client: Client,
    settings: Settings,
    question: str,
    tenant: str,
    *,
    at: datetime | None = None,
    plan: Plan | None = None,
    **fields: Any,
) -> WorkflowHandle[Any, OrchestrationResult]:
    request = OpsRequest(
        question=question, tenant_id=tenant, reference_time=at, plan_override=plan, **fields
    )
    return await start(client, request, settings)


async def ask(
    client: Client, settings: Settings, question: str, tenant: str, **kwargs: Any
) -> OrchestrationResult:
    handle = await start_question(client, settings, question, tenant, **kwargs)
    return await asyncio.wait_for(handle.result(), timeout=120)


async def history_events(handle: WorkflowHandle[Any, Any]) -> list[dict[str, Any]]:
    history = await handle.fetch_history()
    return history.to_json_dict()["events"]  # type: ignore[no-any-return]


def event_types(events: list[dict[str, Any]]) -> list[str]:
    return [e["eventType"] for e in events]


def seconds_between(a: str, b: str) -> float:
    parse = datetime.fromisoformat
    return (parse(b.replace("Z", "+00:00")) - parse(a.replace("Z", "+00:00"))) / timedelta(
        seconds=1
    )


TOOLS = frozenset(
    {
        "ci_lookup",
        "topology_traverse",
        "topology_snapshot_fallback",
        "metric_query",
        "metric_rollup_fallback",
        "event_query",
        "direct_query",
    }
)


def activity_timeline(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(event kind, activity type, event time) for scheduled/completed/failed/timed-out.

    A local activity leaves one marker when it finished: it reads as scheduled, then
    completed or failed, at the marker's time.
    """
    names: dict[str, str] = {}
    timeline = []
    for event in events:
        local = local_activity(event)
        if local is not None:
            (data, failed), at = local, event["eventTime"]
            name = data["activity_type"]
            timeline += [("scheduled", name, at), ("failed" if failed else "completed", name, at)]
            continue
        kind = event["eventType"].removeprefix("EVENT_TYPE_ACTIVITY_TASK_").lower()
        attrs = event.get("activityTaskScheduledEventAttributes")
        if attrs is not None:
            names[event["eventId"]] = attrs["activityType"]["name"]
            timeline.append(("scheduled", attrs["activityType"]["name"], event["eventTime"]))
            continue
        for key in ("Completed", "Failed", "TimedOut", "Canceled"):
            done = event.get(f"activityTask{key}EventAttributes")
            if done is not None:
                timeline.append(
                    (kind, names.get(done["scheduledEventId"], "?"), event["eventTime"])
                )
    return timeline
