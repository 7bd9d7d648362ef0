"""The bench's pure helpers: statistics, history breakdown, closed-loop load, goals."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench.common import median_by_key, percentile, rounded
from bench.goals import evaluate
from bench.history import breakdown, shape_of
from bench.throughput import closed_loop


def _event(event_id: int, kind: str, ms: int, **attrs: object) -> dict[str, object]:
    return {
        "eventId": str(event_id),
        "eventType": f"EVENT_TYPE_{kind}",
        "eventTime": f"2025-01-01T00:00:{ms // 1000:02d}.{ms % 1000:03d}Z",
        **attrs,
    }


def _scheduled(event_id: int, ms: int, name: str) -> dict[str, object]:
    return _event(
        event_id,
        "ACTIVITY_TASK_SCHEDULED",
        ms,
        activityTaskScheduledEventAttributes={"activityType": {"name": name}},
    )


def _started(event_id: int, ms: int, scheduled: int) -> dict[str, object]:
    return _event(
        event_id,
        "ACTIVITY_TASK_STARTED",
        ms,
        activityTaskStartedEventAttributes={"scheduledEventId": str(scheduled)},
    )


def _completed(event_id: int, ms: int, scheduled: int) -> dict[str, object]:
    return _event(
        event_id,
        "ACTIVITY_TASK_COMPLETED",
        ms,
        activityTaskCompletedEventAttributes={"scheduledEventId": str(scheduled)},
    )


HISTORY = [
    _event(1, "WORKFLOW_EXECUTION_STARTED", 0),
    _event(2, "WORKFLOW_TASK_SCHEDULED", 0),
    _event(3, "WORKFLOW_TASK_STARTED", 5),
    _event(4, "WORKFLOW_TASK_COMPLETED", 10),
    _scheduled(5, 10, "load_tool_context"),
    _started(6, 11, 5),
    _completed(7, 20, 5),
    _scheduled(8, 30, "ci_lookup"),
    _scheduled(9, 30, "event_query"),
    _started(10, 31, 8),
    _completed(11, 230, 8),
    _started(12, 31, 9),
    _completed(13, 250, 9),
    _scheduled(14, 260, "topology_traverse"),
    _started(15, 261, 14),
    _completed(16, 460, 14),
    _scheduled(17, 470, "analyze"),
    _started(18, 471, 17),
    _completed(19, 480, 17),
    _event(20, "WORKFLOW_EXECUTION_COMPLETED", 500),
]


def test_percentile_interpolates_and_handles_empty() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
    assert math.isnan(percentile([], 50))
    assert rounded(math.nan) is None


def test_median_by_key_uses_rows_that_have_the_key() -> None:
    assert median_by_key([{"a": 1, "b": 4}, {"a": 3}]) == {"a": 2.0, "b": 4.0}


def test_breakdown_splits_levels_and_client_time() -> None:
    out = breakdown(HISTORY, e2e_ms=520.0)
    assert out["server_wall_ms"] == 500.0
    assert out["client_ms"] == 20.0
    assert out["wf_tasks"] == 1
    assert out["wf_task_queue_ms"] == 5.0
    assert out["tools_l1.run_ms"] == 219.0  # the slower of the two parallel tools
    assert out["tools_l2.run_ms"] == 199.0
    assert out["load_tool_context.run_ms"] == 9.0


def test_shape_of_names_activities_around_the_tools() -> None:
    assert shape_of(HISTORY) == (["load_tool_context"], ["analyze"])


def test_closed_loop_runs_exactly_total_requests() -> None:
    seen: list[int] = []

    async def one(i: int) -> str:
        seen.append(i)
        await asyncio.sleep(0)
        return "ok" if i % 2 else "other"

    load = asyncio.run(closed_loop(one, concurrency=3, total=7))
    assert sorted(seen) == list(range(7))
    assert load.outcomes == {"ok": 3, "other": 4}
    assert load.per_s > 0


@pytest.mark.parametrize(("value", "met"), [(1.1, True), (1.2, False), (None, False)])
def test_goals_compare_against_bounds(value: float | None, met: bool) -> None:
    assert evaluate({"overhead_ratio": value})["overhead_ratio"]["met"] is met


def test_profile_buckets_take_the_innermost_known_frame() -> None:
    from bench.profile import bucket_of, split

    analysis = ["run (activities/analysis.py:39)", "detect (opsflow/analysis/anomalies.py:140)"]
    assert bucket_of(analysis) == "analysis"
    sdk_under_tool = ["_run (activities/tooling.py:70)", "heartbeat (temporalio/activity.py:9)"]
    assert bucket_of(sdk_under_tool) == "temporal_sdk"
    assert bucket_of(["_run (activities/tooling.py:70)", "sleep (asyncio/tasks.py:1)"]) == (
        "activity_code"
    )
    assert bucket_of(["select (selectors.py:1)"]) == "other"
    raw = "a (opsflow/analysis/x.py:1) 3\nb (asyncpg/connection.py:2) 2\nmalformed\n"
    assert split(raw) == {"analysis": 3, "database": 2}
