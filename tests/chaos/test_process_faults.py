"""Processes and servers that die mid-run: a worker (SIGKILL), PostgreSQL (immediate stop),
the Temporal dev server (SIGKILL, restarted on the same port and SQLite file).

Every worker is a ``python worker.py`` subprocess configured through its environment;
``OPSFLOW_TOOL_LATENCY_MS`` holds each tool activity open long enough for the fault to
land while it is in flight. The module runs on its own stack (tests/chaos/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from opsflow.models import OrchestrationResult, Plan, PlanStep, Progress, Status, StepStatus
from opsflow_app.stack._procs import port_open
from tests.chaos.conftest import ChaosStack, new_task_queue
from tests.chaos.history import activity_runs, runs_of
from tests.support.harness import TOOLS, start_question
from tests.support.processes import (
    async_wait_until,
    identity,
    kill_worker,
    log_tail,
    worker_process,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(150)]

# Far above a normal run (10-25 s): a slow machine must not turn faults into deadlines.
DEADLINE_S = 120


def _parallel_plan() -> Plan:
    return Plan(
        steps=[
            PlanStep(id="inventory", capability="ci_search", params={"name": "payments"}),
            PlanStep(id="topology", capability="graph_traversal", params={"ci": "payments-api"}),
            PlanStep(
                id="metrics",
                capability="metric_timeseries",
                params={"ci": "payments-api", "window_minutes": 60, "history_hours": 1},
            ),
            PlanStep(id="events", capability="event_search", params={"ci": "payments-api"}),
        ],
        focus_ci="payments-api",
    )


def _dependent_plan() -> Plan:
    """One step first; the other three start only once it has its result."""
    return Plan(
        steps=[
            PlanStep(id="inventory", capability="ci_search", params={"name": "payments"}),
            PlanStep(
                id="topology",
                capability="graph_traversal",
                params={"ci": "payments-api"},
                depends_on=["inventory"],
            ),
            PlanStep(
                id="metrics",
                capability="metric_timeseries",
                params={"ci": "payments-api", "window_minutes": 60, "history_hours": 1},
                depends_on=["inventory"],
            ),
            PlanStep(
                id="events",
                capability="event_search",
                params={"ci": "payments-api"},
                depends_on=["inventory"],
            ),
        ],
        focus_ci="payments-api",
    )


async def _started_activities(handle: WorkflowHandle[Any, Any]) -> list[tuple[str, str]]:
    """(activity type, worker identity) of the activities a worker is running right now."""
    description = await handle.describe()
    return [
        (p.activity_type.name, p.last_worker_identity)
        for p in description.raw_description.pending_activities
        if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
    ]


async def _result_across_outages(
    handle: WorkflowHandle[Any, OrchestrationResult], timeout_s: float
) -> OrchestrationResult:
    """The workflow's result, polling again when the server is briefly unreachable."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        try:
            return await asyncio.wait_for(handle.result(), max(left, 0.1))
        except RPCError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


# ----------------------------------------------------------------------------- worker kill

KILL_LATENCY_MS = 3000
# Heartbeat timeout above the injected latency: the latency sleep runs before the tool's
# heartbeater starts (activities/tooling.py), so a shorter one would time out every attempt.
KILL_POLICY = {
    "heartbeat_timeout_s": 4,
    "start_to_close_s": 30,
    "schedule_to_close_s": 90,
    "maximum_attempts": 5,
    "initial_interval_s": 0.2,
    "max_interval_s": 1,
}
KILL_POLICIES = {
    tool: KILL_POLICY for tool in ("ci_lookup", "topology_traverse", "metric_query", "event_query")
}


async def test_worker_killed_mid_activity_is_replaced_and_nothing_completes_twice(
    chaos: ChaosStack, chaos_client: Client
) -> None:
    queue = new_task_queue("kill")
    env = chaos.worker_env(
        queue,
        OPSFLOW_TOOL_LATENCY_MS=str(KILL_LATENCY_MS),
        OPSFLOW_TOOL_POLICIES=json.dumps(KILL_POLICIES),
    )
    with ExitStack() as workers:
        first = workers.enter_context(worker_process(env))
        second = workers.enter_context(worker_process(env))
        procs = {identity(first): first, identity(second): second}
        settings = chaos.settings.model_copy(update={"task_queue": queue})
        handle = await start_question(
            chaos_client,
            settings,
            "kill a worker",
            "t_acme",
            at=chaos.seeded,
            plan=_parallel_plan(),
            deadline_s=DEADLINE_S,
        )
        in_flight: list[tuple[str, str]] = []

        async def tools_running() -> bool:
            in_flight[:] = [a for a in await _started_activities(handle) if a[0] in TOOLS]
            return bool(in_flight)

        await async_wait_until(
            tools_running, timeout_s=30, interval_s=0.05, what="a tool activity running on a worker"
        )
        victim_identity = in_flight[0][1]
        victim = procs[victim_identity]
        [survivor] = [p for ident, p in procs.items() if ident != victim_identity]
        # Sampled again just before the kill: these activities die with the worker.
        killed = {
            name
            for name, ident in await _started_activities(handle)
            if ident == victim_identity and name in TOOLS
        }
        kill_worker(victim)
        assert victim.returncode == -signal.SIGKILL
        result = await asyncio.wait_for(handle.result(), 90)
        assert survivor.poll() is None, log_tail(survivor)

    assert killed, "the victim had no tool activity in flight when it was killed"
    assert result.status is Status.SUCCESS, [(s.id, s.status, s.detail) for s in result.steps]
    assert all(s.status is StepStatus.SUCCEEDED for s in result.steps)
    runs = await activity_runs(handle)
    tool_runs = [r for r in runs if r.name in TOOLS]
    # One scheduled activity per step, each completed exactly once: no step ran twice to
    # completion, and none needed a fallback.
    assert sorted(r.name for r in tool_runs) == sorted(
        ["ci_lookup", "topology_traverse", "metric_query", "event_query"]
    )
    assert all(r.completions == 1 for r in tool_runs)
    for name in killed:
        [run] = runs_of(runs, name)
        # Abandoned at its heartbeat timeout, then retried and finished by the survivor.
        assert run.attempt >= 2, name
        assert run.identity == identity(survivor), (name, run.identity)
        assert run.last_failure_timeout == "TIMEOUT_TYPE_HEARTBEAT", name


# --------------------------------------------------------------------- PostgreSQL stopped

PG_LATENCY_MS = 1500
# Attempts, not time, end each tool: generous timeouts keep a loaded machine from turning
# the expected "retried 3 times" into a schedule-to-close timeout.
PG_RETRY = {
    "maximum_attempts": 3,
    "initial_interval_s": 0.3,
    "backoff": 2.0,
    "max_interval_s": 1.0,
    "start_to_close_s": 10,
    "schedule_to_close_s": 60,
}
PG_POLICIES = {
    tool: PG_RETRY
    for tool in (
        "ci_lookup",
        "topology_traverse",
        "topology_snapshot_fallback",
        "metric_query",
        "metric_rollup_fallback",
        "event_query",
    )
}


async def test_postgres_stopped_mid_run_degrades_and_recovers_after_restart(
    chaos: ChaosStack, chaos_client: Client
) -> None:
    queue = new_task_queue("pg")
    env = chaos.worker_env(
        queue,
        OPSFLOW_TOOL_LATENCY_MS=str(PG_LATENCY_MS),
        OPSFLOW_TOOL_POLICIES=json.dumps(PG_POLICIES),
    )
    settings = chaos.settings.model_copy(update={"task_queue": queue})
    pg = chaos.postgres
    with worker_process(env) as worker:
        try:
            handle = await start_question(
                chaos_client,
                settings,
                "database down",
                "t_acme",
                at=chaos.seeded,
                plan=_dependent_plan(),
                deadline_s=DEADLINE_S,
            )

            async def dependents_in_flight() -> bool:
                progress = await handle.query("progress", result_type=Progress)
                states = {s.id: s for s in progress.steps}
                running = {name for name, _ in await _started_activities(handle)}
                return (
                    bool(states)
                    and states["inventory"].has_result
                    and {"topology_traverse", "metric_query", "event_query"} <= running
                )

            # The three dependents sit in their injected latency: stop the database now.
            await async_wait_until(
                dependents_in_flight,
                timeout_s=30,
                interval_s=0.05,
                what="dependent steps in flight",
            )
            await asyncio.to_thread(pg.stop, "immediate")
            assert not port_open(pg.host, pg.port)
            down = await asyncio.wait_for(handle.result(), 90)
            assert worker.poll() is None, "the worker crashed:\n" + log_tail(worker)

            states = {s.id: s for s in down.steps}
            assert down.status is Status.PARTIAL_SUCCESS, down.steps
            assert states["inventory"].status is StepStatus.SUCCEEDED
            for sid in ("topology", "metrics", "events"):
                assert states[sid].status is StepStatus.FAILED, states[sid]
                assert states[sid].error_code == "CONNECTION_ERROR", states[sid]
            assert {m.step_id for m in down.missing} == {"topology", "metrics", "events"}
            # Retried with backoff (the error is retryable), then the fallbacks were tried.
            runs = await activity_runs(handle)
            for tool in (
                "topology_traverse",
                "metric_query",
                "event_query",
                "topology_snapshot_fallback",
                "metric_rollup_fallback",
            ):
                [run] = runs_of(runs, tool)
                seen = (run.outcome, run.failure_type, run.attempt, run.retry_state)
                assert seen == (
                    "failed",
                    "CONNECTION_ERROR",
                    PG_RETRY["maximum_attempts"],
                    "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED",
                ), (tool, seen)
        finally:
            if not port_open(pg.host, pg.port):
                await asyncio.to_thread(pg.start)

        # Same worker process, same pool: a new run succeeds once the database is back.
        again = await start_question(
            chaos_client,
            settings,
            "database back",
            "t_acme",
            at=chaos.seeded,
            plan=_dependent_plan(),
            deadline_s=DEADLINE_S,
        )
        recovered = await asyncio.wait_for(again.result(), 60)
        assert recovered.status is Status.SUCCESS, (recovered.steps, log_tail(worker))
        assert worker.poll() is None


# ------------------------------------------------------------------ Temporal server restart

RESTART_LATENCY_MS = 2000


async def test_temporal_server_killed_and_restarted_mid_run_completes_the_workflow(
    chaos: ChaosStack, chaos_client: Client
) -> None:
    queue = new_task_queue("restart")
    env = chaos.worker_env(queue, OPSFLOW_TOOL_LATENCY_MS=str(RESTART_LATENCY_MS))
    settings = chaos.settings.model_copy(update={"task_queue": queue})
    temporal = chaos.temporal
    with worker_process(env) as worker:
        try:
            handle = await start_question(
                chaos_client,
                settings,
                "server restart",
                "t_acme",
                at=chaos.seeded,
                plan=_dependent_plan(),
                deadline_s=DEADLINE_S,
            )

            async def tool_running() -> bool:
                return any(name in TOOLS for name, _ in await _started_activities(handle))

            await async_wait_until(
                tool_running, timeout_s=30, interval_s=0.05, what="a tool activity in flight"
            )
            await asyncio.to_thread(temporal.kill)
            killed_at = datetime.now(UTC)
            assert not port_open(temporal.host, temporal.port)
            await asyncio.sleep(1.0)
            # Same port, same SQLite file: the history written before the kill is kept.
            await asyncio.to_thread(temporal.start)
            restarted_at = datetime.now(UTC)
            result = await _result_across_outages(handle, 90)
        finally:
            if not port_open(temporal.host, temporal.port):
                await asyncio.to_thread(temporal.start)
        assert worker.poll() is None, "the worker exited:\n" + log_tail(worker)

    assert result.status is Status.SUCCESS, [(s.id, s.status, s.detail) for s in result.steps]
    assert [s.id for s in result.steps] == ["inventory", "topology", "metrics", "events"]
    runs = await activity_runs(handle)
    assert sorted(r.name for r in runs if r.name in TOOLS) == sorted(
        ["ci_lookup", "topology_traverse", "metric_query", "event_query"]
    )
    assert all(r.completions == 1 for r in runs if r.name in TOOLS)
    # One history across the outage: started before the kill, closed after the restart.
    events = list((await handle.fetch_history()).events)
    assert events[0].event_time.ToDatetime(tzinfo=UTC) < killed_at
    assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert events[-1].event_time.ToDatetime(tzinfo=UTC) > restarted_at
