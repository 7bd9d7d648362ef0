"""Fewer round trips: eager workflow start from a process hosting the worker, planning
without an LLM as a local activity, and the same answer outside the workflow sandbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from opsflow.history_markers import local_activity
from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from opsflow_app.cli.ask import build_request
from opsflow_app.client.questions import start
from opsflow_app.worker_main import workflow_runner
from tests.support.harness import history_events, running_worker

pytestmark = pytest.mark.integration
QUESTION = "why is checkout-api slow?"


def _answer(result: OrchestrationResult) -> tuple[Any, ...]:
    return (
        result.status,
        [(c.ci, c.score) for c in result.root_causes],
        [(s.id, s.tool, s.status) for s in result.steps],
    )


def _activities(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Names of the ordinary activities scheduled, and of the local ones (markers)."""
    scheduled, local = [], []
    for event in events:
        marker = local_activity(event)
        if marker is not None:
            local.append(marker[0]["activity_type"])
        attrs = event.get("activityTaskScheduledEventAttributes")
        if attrs is not None:
            scheduled.append(attrs["activityType"]["name"])
    return scheduled, local


def _tasks_before_schedules(events: list[dict[str, Any]]) -> list[int]:
    """For each ordinary activity scheduled, how many workflow tasks had completed."""
    completed, out = 0, []
    for event in events:
        if event["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED":
            completed += 1
        elif "activityTaskScheduledEventAttributes" in event:
            out.append(completed)
    return out


async def test_eager_start_local_planning_and_no_sandbox_give_the_same_answer(
    temporal_client: Client, settings: Settings, seeded: datetime
) -> None:
    answers = []
    for sandbox in (True, False):
        async with running_worker(temporal_client, settings, workflow_sandbox=sandbox) as s:
            request = build_request(QUESTION, "t_acme", at=seeded.isoformat())
            handle = await start(temporal_client, request, s, eager=True)
            # The worker shares this client: the server handed it the first workflow task.
            assert getattr(handle, "__temporal_eagerly_started") is True
            result: OrchestrationResult = await handle.result()
            assert result.status is Status.SUCCESS, result.missing
            answers.append(_answer(result))
            events = await history_events(handle)
            scheduled, local = _activities(events)
            # No LLM configured: the plan is made locally, only tools go to the server.
            assert "plan_request" in local and "plan_request" not in scheduled
            assert set(scheduled) <= {s.tool for s in result.steps}
            # Context, plan and every step without dependencies: all in the first task.
            roots = [s for s in result.steps if not s.depends_on]
            first = _tasks_before_schedules(events)[: len(roots)]
            assert roots and first == [1] * len(roots)
    assert answers[0] == answers[1]


def test_the_worker_runner_follows_the_setting() -> None:
    off = Settings(OPSFLOW_WORKFLOW_SANDBOX="false")  # type: ignore[call-arg]
    assert isinstance(workflow_runner(off), UnsandboxedWorkflowRunner)
    assert isinstance(workflow_runner(Settings()), SandboxedWorkflowRunner)
