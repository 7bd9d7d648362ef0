"""Tools under real faults, run by a ``python worker.py`` subprocess.

Faults are table locks held by another PostgreSQL session: the tool's query really waits,
its heartbeats really stop, Temporal really times it out and retries it. The history is
the witness: attempt numbers of the closing starts, retry states, which tools were
scheduled after which.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client

from opsflow.models import Plan, PlanStep, Status, StepStatus
from opsflow.settings import Settings
from tests.chaos.conftest import ChaosStack, new_task_queue
from tests.chaos.history import activity_runs, runs_of, workflow_task_failures
from tests.support.faults import table_locked
from tests.support.harness import running_worker, start_question
from tests.support.processes import log_tail, worker_process

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

RETRY_FAST = {"maximum_attempts": 2, "initial_interval_s": 0.2, "max_interval_s": 0.5}
# Short timeouts so locked tables turn into timeouts within seconds, two attempts each.
POLICIES = {
    "metric_query": {
        "heartbeat_timeout_s": 1,
        "start_to_close_s": 8,
        "schedule_to_close_s": 20,
        **RETRY_FAST,
    },
    "event_query": {"start_to_close_s": 1.5, "schedule_to_close_s": 8, **RETRY_FAST},
    "topology_traverse": {"start_to_close_s": 1.5, "schedule_to_close_s": 8, **RETRY_FAST},
    "topology_snapshot_fallback": {"start_to_close_s": 1.5, "schedule_to_close_s": 8, **RETRY_FAST},
}
RESULT_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def fast_fail_worker(chaos: ChaosStack) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    queue = new_task_queue("faults")
    env = chaos.worker_env(queue, OPSFLOW_TOOL_POLICIES=json.dumps(POLICIES))
    with worker_process(env) as proc:
        yield queue, proc


def _settings(chaos: ChaosStack, queue: str) -> Settings:
    return chaos.settings.model_copy(update={"task_queue": queue})


async def test_hung_scan_is_retried_then_replaced_by_the_fallback(
    chaos: ChaosStack, chaos_client: Client, fast_fail_worker: tuple[str, Any]
) -> None:
    queue, proc = fast_fail_worker
    plan = Plan(
        steps=[
            PlanStep(
                id="metrics",
                capability="metric_timeseries",
                params={"ci": "payments-api", "window_minutes": 60},
            )
        ]
    )
    async with table_locked(chaos.endpoints.db_dsn, "metric_sample"):
        handle = await start_question(
            chaos_client, _settings(chaos, queue), "metrics", "t_acme", at=chaos.seeded, plan=plan
        )
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT_S)

    assert result.status is Status.DEGRADED, log_tail(proc)
    [step] = result.steps
    assert step.status is StepStatus.FALLBACK
    assert step.fallback is not None
    assert (step.fallback.tool_attempted, step.fallback.tool_used_fallback) == (
        "metric_query",
        "metric_rollup_fallback",
    )
    assert step.fallback.reason == "primary_timeout"
    runs = await activity_runs(handle)
    [primary] = runs_of(runs, "metric_query")
    [fallback] = runs_of(runs, "metric_rollup_fallback")
    # Both attempts of the primary ran and timed out on heartbeats (the scan stalled)...
    assert primary.attempt == POLICIES["metric_query"]["maximum_attempts"]
    assert primary.last_failure_timeout == "TIMEOUT_TYPE_HEARTBEAT"
    assert (primary.outcome, primary.timeout_type) == ("timed_out", "TIMEOUT_TYPE_HEARTBEAT")
    assert primary.retry_state == "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED"
    # ...and only then the fallback was scheduled, answering at its first attempt.
    assert fallback.scheduled_order > primary.scheduled_order
    assert (fallback.outcome, fallback.attempt) == ("completed", 1)
    assert result.steps[0].row_count > 0


async def test_timeout_without_a_fallback_is_partial_success(
    chaos: ChaosStack, chaos_client: Client, fast_fail_worker: tuple[str, Any]
) -> None:
    queue, proc = fast_fail_worker
    plan = Plan(
        steps=[
            PlanStep(id="events", capability="event_search", params={"ci": "payments-api"}),
            PlanStep(id="inventory", capability="ci_search", params={"name": "payments"}),
        ]
    )
    async with table_locked(chaos.endpoints.db_dsn, "event"):
        handle = await start_question(
            chaos_client, _settings(chaos, queue), "events", "t_acme", at=chaos.seeded, plan=plan
        )
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT_S)

    assert result.status is Status.PARTIAL_SUCCESS, log_tail(proc)
    states = {s.id: s for s in result.steps}
    assert states["events"].status is StepStatus.FAILED
    assert states["events"].reason == "primary_timeout"
    assert states["events"].fallback is None  # event_search has no fallback tool
    assert states["inventory"].status is StepStatus.SUCCEEDED
    assert [m.step_id for m in result.missing] == ["events"]
    runs = await activity_runs(handle)
    [events] = runs_of(runs, "event_query")
    # The statement timeout (a TIMEOUT error) or the start-to-close timeout, whichever
    # fires first; either way every attempt was spent before the step gave up.
    assert events.outcome in ("failed", "timed_out")
    assert events.attempt == POLICIES["event_query"]["maximum_attempts"]
    assert events.retry_state == "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED"
    assert "TIMEOUT" in (events.failure_type or events.timeout_type)
    assert not runs_of(runs, "metric_rollup_fallback")


async def test_several_failing_tools_are_each_listed_with_their_cause(
    chaos: ChaosStack, chaos_client: Client, fast_fail_worker: tuple[str, Any]
) -> None:
    queue, proc = fast_fail_worker
    plan = Plan(
        steps=[
            PlanStep(id="events", capability="event_search", params={"ci": "payments-api"}),
            PlanStep(id="topology", capability="graph_traversal", params={"ci": "payments-api"}),
            PlanStep(id="inventory", capability="ci_search", params={"name": "payments"}),
        ]
    )
    # The snapshot table too: graph_traversal then has no working tool at all.
    async with table_locked(chaos.endpoints.db_dsn, "event", "ci_relation", "topology_snapshot"):
        handle = await start_question(
            chaos_client, _settings(chaos, queue), "several", "t_acme", at=chaos.seeded, plan=plan
        )
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT_S)

    assert result.status is Status.PARTIAL_SUCCESS, log_tail(proc)
    states = {s.id: s for s in result.steps}
    assert states["inventory"].status is StepStatus.SUCCEEDED
    missing = {m.step_id: m for m in result.missing}
    assert set(missing) == {"events", "topology"}
    for step_id in ("events", "topology"):
        assert states[step_id].status is StepStatus.FAILED
        assert states[step_id].error_code == "TIMEOUT"
        assert missing[step_id].reason == "primary_timeout"
    # The topology step tried its whole chain; the record says so.
    assert states["topology"].tools_tried == ["topology_traverse", "topology_snapshot_fallback"]
    topology_fallback = states["topology"].fallback
    assert topology_fallback is not None
    assert topology_fallback.tool_attempted == "topology_traverse"
    assert topology_fallback.tool_used_fallback is None
    assert topology_fallback in result.fallbacks
    block = next(b for b in result.blocks if b.title == "Missing from this answer")
    text = block.text  # type: ignore[union-attr]
    assert "`events`: primary_timeout" in text
    assert "`topology`: primary_timeout" in text
    runs = await activity_runs(handle)
    for tool in ("event_query", "topology_traverse", "topology_snapshot_fallback"):
        [run] = runs_of(runs, tool)
        assert run.outcome in ("failed", "timed_out"), tool
        assert run.attempt == 2, tool
    [inventory] = runs_of(runs, "ci_lookup")
    assert inventory.outcome == "completed"


@activity.defn(name="event_query")
async def malformed_event_query(call: dict[str, Any]) -> dict[str, Any]:
    """A tool whose output lacks required fields (no step_id, events without ts/kind)."""
    return {
        "tool": "event_query",
        "events": [{"id": "e1", "message": "half a record"}],
        "row_count": "many",
    }


async def test_malformed_tool_output_fails_only_its_step_with_a_code(
    chaos: ChaosStack, chaos_client: Client
) -> None:
    plan = Plan(
        steps=[
            PlanStep(id="events", capability="event_search", params={"ci": "payments-api"}),
            PlanStep(id="topology", capability="graph_traversal", params={"ci": "payments-api"}),
            PlanStep(id="inventory", capability="ci_search", params={"name": "payments"}),
        ]
    )
    async with running_worker(
        chaos_client, chaos.settings, activity_overrides=[malformed_event_query]
    ) as settings:
        handle = await start_question(
            chaos_client, settings, "malformed", "t_acme", at=chaos.seeded, plan=plan
        )
        try:
            result = await asyncio.wait_for(handle.result(), 20)
        except TimeoutError:
            # The regression this guards against: decoding the output as ToolOutput in the
            # workflow fails the workflow TASK, which Temporal retries forever (stuck).
            failures = await workflow_task_failures(handle)
            await handle.terminate("chaos test: workflow stuck on a malformed tool output")
            pytest.fail(f"workflow did not finish; workflow task failures: {failures[:2]}")

    assert result.status is Status.PARTIAL_SUCCESS
    states = {s.id: s for s in result.steps}
    assert states["events"].status is StepStatus.FAILED
    assert states["events"].error_code == "TOOL_OUTPUT_INVALID"
    assert states["events"].reason == "invalid_output"
    assert states["topology"].status is StepStatus.SUCCEEDED
    assert states["inventory"].status is StepStatus.SUCCEEDED
    assert "schema" in states["events"].detail
    assert [m.step_id for m in result.missing] == ["events"]
    # The rest of the answer is intact: the graph and the CI table are there.
    assert any(b.kind == "graph" for b in result.blocks)
    assert any(b.kind == "table" and b.source_steps == ["inventory"] for b in result.blocks)
    # The activity itself completed; the workflow judged its output, without a task failure.
    [events] = runs_of(await activity_runs(handle), "event_query")
    assert events.outcome == "completed"
    assert await workflow_task_failures(handle) == []
