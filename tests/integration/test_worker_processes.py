"""``python worker.py --processes 2``: two processes poll one task queue, a question is
answered, and SIGTERM to the parent stops every process cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from tests.support.harness import start_question
from tests.support.processes import async_wait_until, log_tail, spawn_worker, stop_worker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]
REPO = Path(__file__).resolve().parents[2]


async def _poller_identities(
    client: Client, settings: Settings, kind: TaskQueueType.ValueType
) -> set[str]:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=settings.temporal_namespace,
            task_queue=TaskQueue(name=settings.task_queue),
            task_queue_type=kind,
        ),
        timeout=timedelta(seconds=5),
    )
    return {p.identity for p in response.pollers}


async def test_two_processes_poll_answer_and_stop_cleanly(
    temporal_client: Client, settings: Settings, seeded: datetime
) -> None:
    queue = f"test-processes-{uuid.uuid4().hex[:8]}"
    custom = settings.model_copy(update={"task_queue": queue})
    parent = spawn_worker(
        {
            "TEMPORAL_ADDRESS": settings.temporal_address or "",
            "OPSFLOW_DB_DSN": settings.db_dsn or "",
            "OPSFLOW_TASK_QUEUE": queue,
        },
        args=["--processes", "2"],
    )
    try:
        children: list[psutil.Process] = []

        async def two_children() -> bool:
            assert parent.poll() is None, log_tail(parent)
            children[:] = psutil.Process(parent.pid).children()
            return len(children) == 2

        await async_wait_until(two_children, timeout_s=60, interval_s=0.2, what="2 children")
        expected = {f"{c.pid}@" for c in children}

        async def both_poll() -> bool:
            found = await _poller_identities(
                temporal_client, custom, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            )
            activity = await _poller_identities(
                temporal_client, custom, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
            )
            prefixes = {i.split("@")[0] + "@" for i in found & activity}
            return prefixes >= expected

        await async_wait_until(both_poll, timeout_s=90, interval_s=0.5, what="2 pollers")
        handle = await start_question(
            temporal_client, custom, "why is checkout-api slow?", "t_acme", at=seeded
        )
        result: OrchestrationResult = await handle.result()
        assert result.status in (Status.SUCCESS, Status.DEGRADED), result.missing
        # SIGTERM to the parent alone: it stops its children, gracefully, and exits 0.
        os.kill(parent.pid, signal.SIGTERM)
        assert parent.wait(timeout=60) == 0, log_tail(parent)
        for child in children:
            assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    finally:
        stop_worker(parent)


def test_processes_below_one_is_a_one_line_error() -> None:
    done = subprocess.run(
        [sys.executable, "worker.py", "--processes", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: VALIDATION_ERROR: --processes must be at least 1"
    ]
