"""Where a run's time went, read from its Temporal history (server timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from opsflow.history_markers import local_activity
from opsflow.names import ToolName

TOOLS = frozenset(ToolName)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ms(a: datetime, b: datetime) -> float:
    return (b - a) / timedelta(milliseconds=1)


async def history_events(handle: WorkflowHandle[Any, Any]) -> list[dict[str, Any]]:
    history = await handle.fetch_history()
    return history.to_json_dict()["events"]  # type: ignore[no-any-return]


def _local_span(event: dict[str, Any]) -> dict[str, Any] | None:
    """A local activity's one marker as a span (its own schedule and completion times)."""
    local = local_activity(event)
    if local is None:
        return None
    data, failed = local

    def at(stamp: dict[str, int]) -> datetime:
        return datetime.fromtimestamp(stamp["seconds"] + stamp.get("nanos", 0) / 1e9, UTC)

    scheduled = at(data["original_schedule_time"])
    completed = data.get("complete_time")
    return {
        "name": data["activity_type"],
        "scheduled": scheduled,
        "started": scheduled,
        "closed": at(completed) if completed else _ts(event["eventTime"]),
        "outcome": "failed" if failed else "completed",
        "local": True,
    }


def activity_spans(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per activity attempt chain: name, scheduled, started, closed (datetimes).

    Local activities (``local``: True) come from their markers.
    """
    by_id: dict[str, dict[str, Any]] = {}
    for event in events:
        local = _local_span(event)
        if local is not None:
            by_id[event["eventId"]] = local
            continue
        attrs = event.get("activityTaskScheduledEventAttributes")
        if attrs is not None:
            by_id[event["eventId"]] = {
                "name": attrs["activityType"]["name"],
                "scheduled": _ts(event["eventTime"]),
            }
            continue
        started = event.get("activityTaskStartedEventAttributes")
        if started is not None:
            by_id[started["scheduledEventId"]]["started"] = _ts(event["eventTime"])
            continue
        for key in ("Completed", "Failed", "TimedOut", "Canceled"):
            done = event.get(f"activityTask{key}EventAttributes")
            if done is not None:
                span = by_id[done["scheduledEventId"]]
                span["closed"] = _ts(event["eventTime"])
                span["outcome"] = key.lower()
    return list(by_id.values())


def breakdown(events: list[dict[str, Any]], e2e_ms: float) -> dict[str, float]:
    """Milliseconds by cause for one run.

    - ``client_ms``: end-to-end minus the server's start->close (start RPC, result poll).
    - ``wf_task_ms``: workflow tasks, summed: ``wf_task_queue_ms`` (scheduled -> started:
      the server handing the task to the worker) + ``wf_task_run_ms`` (started ->
      completed: the worker's activation and the completion's round trip). Every one of
      them sits on the critical path of this workflow.
    - per activity name: ``<name>.queue_ms`` (scheduled -> started: dispatch to the
      worker) and ``<name>.run_ms`` (started -> closed: the activity body plus reporting).
      Tool steps of one dependency level are folded into ``tools_l<level>.*`` as the
      slowest of the level, which is what the critical path sees.
    """
    first, last = _ts(events[0]["eventTime"]), _ts(events[-1]["eventTime"])
    out: dict[str, float] = {"server_wall_ms": _ms(first, last)}
    out["client_ms"] = e2e_ms - out["server_wall_ms"]
    wft_scheduled: datetime | None = None
    wft_started: datetime | None = None
    out["wf_tasks"] = out["wf_task_queue_ms"] = out["wf_task_run_ms"] = 0.0
    for event in events:
        kind, at = event["eventType"], _ts(event["eventTime"])
        if kind == "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED":
            wft_scheduled = at
        elif kind == "EVENT_TYPE_WORKFLOW_TASK_STARTED" and wft_scheduled is not None:
            wft_started = at
            out["wf_task_queue_ms"] += _ms(wft_scheduled, at)
        elif kind == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED" and wft_started is not None:
            out["wf_tasks"] += 1
            out["wf_task_run_ms"] += _ms(wft_started, at)
            wft_scheduled = wft_started = None
    out["wf_task_ms"] = out["wf_task_queue_ms"] + out["wf_task_run_ms"]
    spans = activity_spans(events)
    first_tool = first_tool_start(spans, first)
    if first_tool is not None:
        out["first_tool_start_ms"] = first_tool
    tool_levels = _tool_levels(spans)
    for span in spans:
        # A local activity runs inside a workflow task (counted in wf_task_run_ms); its
        # marker's own clock readings are not comparable with the server's event times.
        if span.get("local") or "started" not in span or "closed" not in span:
            continue
        name = span["name"]
        if name in TOOLS:
            name = f"tools_l{tool_levels[id(span)]}"
        queue = _ms(span["scheduled"], span["started"])
        run = _ms(span["started"], span["closed"])
        out[f"{name}.queue_ms"] = max(out.get(f"{name}.queue_ms", 0.0), queue)
        out[f"{name}.run_ms"] = max(out.get(f"{name}.run_ms", 0.0), run)
    return {k: round(v, 1) for k, v in out.items()}


def first_tool_start(spans: list[dict[str, Any]], began: datetime) -> float | None:
    """Milliseconds from the workflow's start to the first tool activity's start (server
    clock): everything the question waits on before its own work begins."""
    starts = [s["started"] for s in spans if s["name"] in TOOLS and "started" in s]
    return _ms(began, min(starts)) if starts else None


def nth_activity_start(spans: list[dict[str, Any]], n: int, began: datetime) -> float | None:
    """Milliseconds from the workflow's start to the start of its ``n``-th activity (from
    0, in schedule order): the bare baseline's first step, whose activities share a name."""
    ordered = sorted(spans, key=lambda s: s["scheduled"])
    if n >= len(ordered) or "started" not in ordered[n]:
        return None
    return _ms(began, ordered[n]["started"])


def _tool_levels(spans: list[dict[str, Any]]) -> dict[int, int]:
    """Tool activities grouped into levels: a new level starts when a tool is scheduled
    after another tool closed (dependents wait for their parents)."""
    levels: dict[int, int] = {}
    level, last_close = 1, None
    for span in sorted((s for s in spans if s["name"] in TOOLS), key=lambda s: s["scheduled"]):
        if last_close is not None and span["scheduled"] >= last_close:
            level += 1
            last_close = None
        levels[id(span)] = level
        if "closed" in span:
            last_close = span["closed"] if last_close is None else min(last_close, span["closed"])
    return levels


def shape_of(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Names of the non-tool activities before the first tool and after the last."""
    names = [s["name"] for s in sorted(activity_spans(events), key=lambda s: s["scheduled"])]
    tool_positions = [i for i, n in enumerate(names) if n in TOOLS]
    if not tool_positions:
        return names, []
    return names[: tool_positions[0]], names[tool_positions[-1] + 1 :]
