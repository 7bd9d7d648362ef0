"""The bare baseline's worker side: a no-op activity, its worker, and the shape taken from a
real orchestration run (so both do the same number of activities in the same order)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.bare_workflow import NOOP, BareShape, BareStep, BareWorkflow
from bench.common import unique_queue
from bench.history import shape_of
from opsflow.models import OrchestrationResult, Plan
from opsflow.settings import Settings


@activity.defn(name=NOOP)
async def noop(label: str, sleep_ms: int) -> str:
    if sleep_ms:
        await asyncio.sleep(sleep_ms / 1000)
    return label


def shape_from_run(
    result: OrchestrationResult, events: list[dict[str, Any]], max_parallel: int
) -> BareShape:
    """The orchestration's activities: those before the first tool, the step DAG, the rest."""
    before, after = shape_of(events)
    steps = [BareStep(id=s.id, depends_on=list(s.depends_on)) for s in result.steps]
    return BareShape(before=before, steps=steps, after=after, max_parallel=max_parallel)


@asynccontextmanager
async def bare_worker(client: Client, settings: Settings) -> AsyncIterator[str]:
    """A worker with the product worker's concurrency limits and workflow runner (sandboxed
    or not, as ``settings`` say); yields its task queue."""
    queue = unique_queue("bare")
    runner: WorkflowRunner = (
        SandboxedWorkflowRunner() if settings.workflow_sandbox else UnsandboxedWorkflowRunner()
    )
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[BareWorkflow],
        activities=[noop],
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=10),
        workflow_runner=runner,
        # Like the product worker: skip the SDK's hash of every loaded module at start.
        build_id="bench-bare",
    )
    async with worker:
        yield queue


def shape_of_plan(
    plan: Plan, before: list[str], after: list[str], *, max_parallel: int, sleep_ms: int
) -> BareShape:
    steps = [BareStep(id=s.id, depends_on=list(s.depends_on)) for s in plan.steps]
    return BareShape(
        before=before, steps=steps, after=after, max_parallel=max_parallel, step_sleep_ms=sleep_ms
    )


async def start_bare(
    client: Client, queue: str, shape: BareShape
) -> WorkflowHandle[BareWorkflow, int]:
    return await client.start_workflow(
        BareWorkflow.run,
        shape,
        id=f"bench-bare-{uuid.uuid4().hex[:12]}",
        task_queue=queue,
        execution_timeout=timedelta(seconds=300),
        # The baseline gets every server feature the orchestration gets (it hosts its worker
        # on this client too): the comparison is of workflow shapes, not of settings.
        request_eager_start=True,
    )


async def run_bare(client: Client, queue: str, shape: BareShape) -> int:
    handle = await start_bare(client, queue, shape)
    return await handle.result()
