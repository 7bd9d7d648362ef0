"""A worker SIGKILLed while a thread's follow-up is being answered: the survivor finishes
the turn, the client's update returns once, and the thread ran that turn exactly once (one
child orchestration, one accepted and one completed update, every tool completed once)."""

from __future__ import annotations

import asyncio
import json
import signal
from contextlib import ExitStack
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from opsflow.models import OrchestrationResult, Status
from opsflow.models.thread import FollowUp, ThreadView
from opsflow_app.client.threads import UPDATE_ASK, start_thread
from tests.chaos.conftest import ChaosStack, new_task_queue
from tests.chaos.history import activity_runs
from tests.support.harness import TOOLS
from tests.support.processes import (
    async_wait_until,
    identity,
    kill_worker,
    log_tail,
    worker_process,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(150)]

KILL_LATENCY_MS = 3000
# As tests/chaos/test_process_faults.py: the heartbeat timeout is above the injected
# latency, and attempts (not time) bound each tool.
KILL_POLICY = {
    "heartbeat_timeout_s": 4,
    "start_to_close_s": 30,
    "schedule_to_close_s": 90,
    "maximum_attempts": 5,
    "initial_interval_s": 0.2,
    "max_interval_s": 1,
}
POLICIES = {t: KILL_POLICY for t in ("topology_traverse", "metric_query", "event_query")}
DEADLINE_S = 120


async def _tools_running(handle: WorkflowHandle[Any, Any]) -> list[tuple[str, str]]:
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:  # the turn's child is not started yet
            return []
        raise
    return [
        (p.activity_type.name, p.last_worker_identity)
        for p in description.raw_description.pending_activities
        if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        and p.activity_type.name in TOOLS
    ]


def _count(events: list[Any], kind: int) -> int:
    return sum(1 for e in events if e.event_type == kind)


async def test_worker_killed_during_a_follow_up_answers_it_once(
    chaos: ChaosStack, chaos_client: Client
) -> None:
    queue = new_task_queue("thread-kill")
    env = chaos.worker_env(
        queue,
        OPSFLOW_TOOL_LATENCY_MS=str(KILL_LATENCY_MS),
        OPSFLOW_TOOL_POLICIES=json.dumps(POLICIES),
    )
    settings = chaos.settings.model_copy(update={"task_queue": queue})
    with ExitStack() as workers:
        first = workers.enter_context(worker_process(env))
        second = workers.enter_context(worker_process(env))
        procs = {identity(first): first, identity(second): second}
        thread = await start_thread(chaos_client, "t_acme", settings)
        follow_up = FollowUp(
            question="why is payments-api slow?",
            tenant_id="t_acme",
            at=chaos.seeded,
            deadline_s=DEADLINE_S,
        )
        answer = asyncio.create_task(
            thread.execute_update(UPDATE_ASK, follow_up, result_type=OrchestrationResult)
        )
        child = chaos_client.get_workflow_handle(f"{thread.id}-turn-1")
        running: list[tuple[str, str]] = []

        async def tools_in_flight() -> bool:
            running[:] = await _tools_running(child)
            return bool(running)

        await async_wait_until(
            tools_in_flight, timeout_s=60, interval_s=0.05, what="a turn's tool in flight"
        )
        victim_identity = running[0][1]
        victim = procs[victim_identity]
        [survivor] = [p for ident, p in procs.items() if ident != victim_identity]
        kill_worker(victim)
        assert victim.returncode == -signal.SIGKILL
        result = await asyncio.wait_for(answer, 100)
        assert survivor.poll() is None, log_tail(survivor)
        # A query needs a live worker: asked while the survivor still runs.
        view: ThreadView = await thread.query("state", result_type=ThreadView)

    assert result.status is Status.SUCCESS, [(s.id, s.status, s.detail) for s in result.steps]
    assert (result.thread_id, result.turn, result.focus_ci) == (thread.id, 1, "payments-api")
    assert view.turn == 1 and [t.turn for t in view.turns] == [1]

    events = list((await thread.fetch_history()).events)
    assert _count(events, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) == 1
    assert _count(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 1
    assert _count(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) == 1
    tool_runs = [r for r in await activity_runs(child) if r.name in TOOLS]
    assert tool_runs and all(r.completions == 1 for r in tool_runs)
    # The killed worker's tool was abandoned at its heartbeat timeout and retried.
    assert any(r.attempt >= 2 and r.identity == identity(survivor) for r in tool_runs)
