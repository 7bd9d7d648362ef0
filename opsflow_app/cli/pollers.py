"""Before ``ask`` waits: is any worker polling the task queue? Say so at once if not."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from opsflow.settings import Settings
from opsflow_app.cli.errors import EXIT_UNREACHABLE, CliError

# A live worker's long poll lasts up to ~70 s before it polls again (the server records
# the poll when it arrives): older than this, the poller is gone.
POLLER_FRESH_S = 90.0
# The check must answer well within the 5 s the operator waits for a first word.
DESCRIBE_TIMEOUT_S = 2.0
# A worker started a moment ago has not polled yet: look again for this long.
GRACE_S = 2.5
RECHECK_S = 0.5


async def live_pollers(client: Client, settings: Settings, now: datetime | None = None) -> int:
    """Workers that polled the workflow task queue within ``POLLER_FRESH_S``."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=settings.temporal_namespace,
            task_queue=TaskQueue(name=settings.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=timedelta(seconds=DESCRIBE_TIMEOUT_S),
    )
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=POLLER_FRESH_S)
    return sum(
        1 for poller in response.pollers if poller.last_access_time.ToDatetime(tzinfo=UTC) >= cutoff
    )


def start_hint(settings: Settings) -> str:
    return (
        f"start one in a shell with TEMPORAL_ADDRESS={settings.temporal_address}"
        f" OPSFLOW_TASK_QUEUE={settings.task_queue} exported: python worker.py"
    )


async def ensure_worker(client: Client, settings: Settings) -> None:
    """Raise ``NO_WORKER`` when nothing polls the queue: a started run would only time out."""
    deadline = time.monotonic() + GRACE_S
    while True:
        try:
            count = await live_pollers(client, settings)
        except RPCError as err:
            raise CliError(
                "TEMPORAL_UNAVAILABLE",
                f"cannot describe task queue {settings.task_queue!r}: {err.message}",
                EXIT_UNREACHABLE,
            ) from err
        if count or time.monotonic() >= deadline:
            break
        await asyncio.sleep(RECHECK_S)
    if count == 0:
        raise CliError(
            "NO_WORKER",
            f"no worker polls task queue {settings.task_queue!r} at"
            f" {settings.temporal_address}; {start_hint(settings)}",
            EXIT_UNREACHABLE,
        )
