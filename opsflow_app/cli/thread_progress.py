"""A progress bar for a thread's turn: the thread names the orchestration answering, whose
``progress`` query drives the bar (as ``ask`` does for a lone question)."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from opsflow.models import OrchestrationResult
from opsflow.models import Progress as WorkflowProgress
from opsflow.models.thread import FollowUp, ThreadView
from opsflow_app.client.threads import send_follow_up
from workflows import OpsOrchestrationWorkflow
from workflows.thread import InvestigationThreadWorkflow

POLL_S = 0.3


async def answer_with_progress(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    follow_up: FollowUp,
    console: Console | None,
) -> OrchestrationResult:
    answer = asyncio.create_task(send_follow_up(handle, follow_up))
    if console is None:
        return await answer
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("resolving", total=None)
        while not answer.done():
            try:
                view: ThreadView = await handle.query(InvestigationThreadWorkflow.state)
                if view.answering is not None:
                    child = client.get_workflow_handle(view.answering)
                    snapshot: WorkflowProgress = await child.query(
                        OpsOrchestrationWorkflow.progress
                    )
                    done = sum(1 for s in snapshot.steps if s.finished_at is not None)
                    bar.update(
                        task,
                        description=f"turn {view.turn}: {snapshot.phase}",
                        total=len(snapshot.steps) or None,
                        completed=done,
                    )
            except RPCError as err:
                # A query can race the turn's start or end; the update's outcome decides.
                bar.update(task, description=f"waiting ({err.status.name.lower()})")
            await asyncio.wait({answer}, timeout=POLL_S)
    return await answer
