"""What ``ask`` shows while it waits: the phase, and each step as it starts and ends."""

from __future__ import annotations

import asyncio
import time

from rich.console import Console
from rich.text import Text
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from opsflow.models import OrchestrationResult, StepState, StepStatus
from opsflow.models import Progress as WorkflowProgress
from opsflow.names import Phase
from workflows import OpsOrchestrationWorkflow

POLL_S = 0.3
# No answer to the progress query for this long: the worker is busy or gone; say so.
SILENT_HINT_S = 5.0
_DONE_MARK = {
    StepStatus.SUCCEEDED: "✓",
    StepStatus.FALLBACK: "↷",
    StepStatus.FAILED: "✗",
    StepStatus.SKIPPED: "-",
    StepStatus.CANCELLED: "-",
    StepStatus.REJECTED: "✗",
}


def step_line(step: StepState) -> str:
    mark = _DONE_MARK.get(step.status, "·")
    tool = f" via {step.tool}" if step.tool else ""
    took = f" · {step.duration_ms:.0f} ms" if step.duration_ms is not None else ""
    rows = f" · {step.row_count} rows" if step.row_count else ""
    why = f" · {step.reason}" if step.reason and not step.has_result else ""
    return f"  {mark} {step.id}{tool}{took}{rows}{why}"


class ProgressView:
    """Prints a line per finished step; the spinner names the phase and running steps."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.reported: set[str] = set()
        self.phase = ""

    def update(self, snapshot: WorkflowProgress) -> str:
        if snapshot.phase != self.phase:
            self.phase = snapshot.phase
            if snapshot.phase not in (Phase.STARTING, Phase.DONE):
                self.console.print(Text(f"{snapshot.phase}…", style="bold"))
        for step in snapshot.steps:
            if step.finished_at is not None and step.id not in self.reported:
                self.reported.add(step.id)
                self.console.print(Text(step_line(step)))
        running = [s.id for s in snapshot.steps if s.status is StepStatus.RUNNING]
        return f"{snapshot.phase}: running {', '.join(running)}" if running else snapshot.phase


async def wait_with_progress(
    handle: WorkflowHandle[OpsOrchestrationWorkflow, OrchestrationResult], console: Console | None
) -> OrchestrationResult:
    """Poll the ``progress`` query for the view on stderr while awaiting the result."""
    result_task = asyncio.create_task(handle.result())
    if console is None:
        return await result_task
    view = ProgressView(console)
    last_answer = time.monotonic()
    with console.status(Phase.STARTING, spinner="dots") as status:
        while not result_task.done():
            try:
                snapshot: WorkflowProgress = await handle.query(OpsOrchestrationWorkflow.progress)
            except RPCError as err:
                # A query can race the workflow's completion; the result decides.
                if time.monotonic() - last_answer > SILENT_HINT_S:
                    status.update(f"waiting for the worker ({err.status.name.lower()})")
            else:
                last_answer = time.monotonic()
                status.update(view.update(snapshot))
            await asyncio.wait({result_task}, timeout=POLL_S)
    result = await result_task
    for step in result.steps:
        if step.id not in view.reported:
            view.reported.add(step.id)
            console.print(Text(step_line(step)))
    return result
