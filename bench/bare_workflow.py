"""The baseline: a bare Temporal workflow with the orchestration's activity shape.

Sequential no-op activities before and after (context, planning / analyze, summarize),
and between them the same step DAG run by a dataflow loop with the same ``max_parallel``.
Only stdlib and temporalio: the workflow sandbox re-imports this module.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

NOOP = "bench_noop"
_TIMEOUT = timedelta(seconds=60)


@dataclass
class BareStep:
    id: str
    depends_on: list[str] = field(default_factory=list)


@dataclass
class BareShape:
    before: list[str]
    steps: list[BareStep]
    after: list[str]
    max_parallel: int = 4
    # Each step's activity sleeps this long: the same known tool latency as the product.
    step_sleep_ms: int = 0

    @property
    def activity_count(self) -> int:
        return len(self.before) + len(self.steps) + len(self.after)


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    @workflow.run
    async def run(self, shape: BareShape) -> int:
        for name in shape.before:
            await self._noop(name, 0)
        await self._dataflow(shape)
        for name in shape.after:
            await self._noop(name, 0)
        return shape.activity_count

    async def _noop(self, label: str, sleep_ms: int) -> str:
        echoed: str = await workflow.execute_activity(
            NOOP, args=[label, sleep_ms], result_type=str, start_to_close_timeout=_TIMEOUT
        )
        return echoed

    async def _dataflow(self, shape: BareShape) -> None:
        done: set[str] = set()
        pending = list(shape.steps)
        running: dict[asyncio.Task[str], str] = {}
        while pending or running:
            for step in [s for s in pending if all(d in done for d in s.depends_on)]:
                if len(running) >= shape.max_parallel:
                    break
                pending.remove(step)
                running[asyncio.create_task(self._noop(step.id, shape.step_sleep_ms))] = step.id
            if not running:
                raise ApplicationError(
                    "bare shape has a cycle or an unknown dependency", non_retryable=True
                )
            finished, _ = await workflow.wait(list(running), return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                task.result()
                done.add(running.pop(task))
