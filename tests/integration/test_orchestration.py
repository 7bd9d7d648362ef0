"""Issue 3 on the real dev server and PostgreSQL: fallbacks, hangs, deadlines, claim
checks and cancellation, with faults made real (locks held by another session)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest

from opsflow.models import Plan, PlanStep, Status, StepStatus
from opsflow.settings import Settings
from tests.support.faults import active_queries, table_locked
from tests.support.harness import (
    activity_timeline,
    ask,
    history_events,
    running_worker,
    start_question,
)

pytestmark = pytest.mark.integration

FAST_FAIL = json.dumps(
    {
        "metric_query": {
            "heartbeat_timeout_s": 1,
            "start_to_close_s": 8,
            "schedule_to_close_s": 20,
            "maximum_attempts": 2,
            "initial_interval_s": 0.2,
        },
        "event_query": {
            "start_to_close_s": 1.5,
            "schedule_to_close_s": 5,
            "maximum_attempts": 2,
            "initial_interval_s": 0.2,
        },
    }
)


def _plan(*steps: PlanStep, focus: str | None = None) -> Plan:
    return Plan(steps=list(steps), focus_ci=focus)


async def test_hung_metric_scan_is_abandoned_at_heartbeat_timeout_and_replaced(
    temporal_client, settings: Settings, seeded: datetime
) -> None:
    plan = _plan(
        PlanStep(
            id="m",
            capability="metric_timeseries",
            params={"ci": "payments-api", "window_minutes": 60},
        )
    )
    async with running_worker(temporal_client, settings, tool_policies_json=FAST_FAIL) as s:
        async with table_locked(s.db_dsn or "", "metric_sample"):
            handle = await start_question(
                temporal_client, s, "metrics of payments-api", "t_acme", at=seeded, plan=plan
            )
            result = await asyncio.wait_for(handle.result(), 60)
    assert result.status is Status.DEGRADED
    step = result.steps[0]
    assert step.status is StepStatus.FALLBACK
    assert step.fallback is not None
    assert step.fallback.reason == "primary_timeout"
    assert step.fallback.tool_attempted == "metric_query"
    assert step.fallback.tool_used_fallback == "metric_rollup_fallback"
    # Two heartbeat timeouts (about 1 s each), far below start_to_close (8 s) each.
    assert step.duration_ms is not None and step.duration_ms < 8000
    events = await history_events(handle)
    timeouts = [e for e in events if "activityTaskTimedOutEventAttributes" in e]
    assert timeouts
    assert all(
        e["activityTaskTimedOutEventAttributes"]["failure"]["timeoutFailureInfo"]["timeoutType"]
        == "TIMEOUT_TYPE_HEARTBEAT"
        for e in timeouts
    )


async def test_failure_without_fallback_is_partial_success_and_skips_dependents(
    temporal_client, settings: Settings, seeded: datetime
) -> None:
    plan = _plan(
        PlanStep(id="events", capability="event_search", params={"ci": "payments-api"}),
        PlanStep(
            id="after_events",
            capability="metric_timeseries",
            params={"ci": "payments-api"},
            depends_on=["events"],
        ),
        PlanStep(id="topology", capability="graph_traversal", params={"ci": "payments-api"}),
    )
    async with running_worker(temporal_client, settings, tool_policies_json=FAST_FAIL) as s:
        async with table_locked(s.db_dsn or "", "event"):
            result = await ask(
                temporal_client, s, "events of payments-api", "t_acme", at=seeded, plan=plan
            )
    states = {st.id: st for st in result.steps}
    assert result.status is Status.PARTIAL_SUCCESS
    assert states["events"].status is StepStatus.FAILED
    assert states["events"].reason == "primary_timeout"
    assert states["events"].fallback is None  # event_search has no fallback tool
    assert states["after_events"].status is StepStatus.SKIPPED
    assert "events" in states["after_events"].detail
    assert states["topology"].status is StepStatus.SUCCEEDED
    assert {m.step_id for m in result.missing} == {"events", "after_events"}
    missing_block = next(b for b in result.blocks if b.title == "Missing from this answer")
    assert "primary_timeout" in missing_block.text  # type: ignore[union-attr]


async def test_deadline_cancels_pending_steps_and_answers_from_what_finished(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    plan = _plan(
        PlanStep(id="slow_events", capability="event_search", params={"ci": "payments-api"}),
        PlanStep(id="topology", capability="graph_traversal", params={"ci": "payments-api"}),
    )
    async with table_locked(worker_settings.db_dsn or "", "event"):
        handle = await start_question(
            temporal_client,
            worker_settings,
            "deadline",
            "t_acme",
            at=seeded,
            plan=plan,
            deadline_s=3,
        )
        result = await asyncio.wait_for(handle.result(), 30)
    states = {st.id: st for st in result.steps}
    assert result.status is Status.PARTIAL_SUCCESS
    assert states["slow_events"].status is StepStatus.CANCELLED
    assert states["slow_events"].reason == "deadline_exceeded"
    assert states["topology"].status is StepStatus.SUCCEEDED
    events = await history_events(handle)
    started = datetime.fromisoformat(events[0]["eventTime"].replace("Z", "+00:00"))
    closed = datetime.fromisoformat(events[-1]["eventTime"].replace("Z", "+00:00"))
    assert (closed - started).total_seconds() < 3 + 1.5


async def test_large_result_goes_by_claim_check_and_history_stays_small(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    inventory = await ask(
        temporal_client, worker_settings, "health of the tenant", "t_acme", at=seeded
    )
    names = [
        row[0]
        for b in inventory.blocks
        if b.kind == "table" and b.source_steps == ["inventory"]
        for row in b.rows
    ]  # type: ignore[union-attr]
    assert len(names) >= 20
    plan = _plan(
        PlanStep(
            id="everything",
            capability="metric_timeseries",
            params={"cis": names, "history_hours": 24, "window_minutes": 60},
        )
    )
    handle = await start_question(
        temporal_client, worker_settings, "all metrics", "t_acme", at=seeded, plan=plan
    )
    result = await handle.result()
    assert result.status is Status.SUCCESS
    step = result.steps[0]
    assert step.claim_id is not None and step.row_count > 2_000
    history = await handle.fetch_history()
    size = len(json.dumps(history.to_json_dict()))
    assert size < 1024 * 1024, size


async def test_cancelling_the_workflow_stops_its_database_query(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    marker = "cancel_probe_7431"
    sql = (
        f"SELECT count(*) AS {marker} FROM metric_sample a JOIN metric_sample b"
        " ON a.tenant_id = b.tenant_id WHERE a.tenant_id = 't_acme' AND b.tenant_id = 't_acme'"
        " AND a.value + b.value > -1"
    )
    plan = _plan(PlanStep(id="heavy", capability="database_query", params={"sql": sql}))
    handle = await start_question(
        temporal_client, worker_settings, "heavy", "t_acme", at=seeded, plan=plan
    )
    dsn = worker_settings.db_dsn or ""
    for _ in range(100):
        if await active_queries(dsn, marker):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the heavy query never started")
    await handle.cancel()
    for _ in range(50):
        if not await active_queries(dsn, marker):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the query kept running after the workflow was cancelled")
    timeline = activity_timeline(await history_events(handle))
    assert ("scheduled", "direct_query") in [(k, n) for k, n, _ in timeline]
