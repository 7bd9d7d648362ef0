"""Throughput of ``python worker.py --processes 1`` against ``--processes 2``.

Both groups run as subprocesses on their own task queues at once, and their batches
alternate (A B A B) at one concurrency; the bench process is only the client. The worker
CPU per question is the group's process tree's, the client excluded.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.common import progress, unique_queue
from bench.rss import worker_process
from bench.throughput import Load, alternate, closed_loop, orchestration_request
from opsflow.settings import Settings


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its children (workers are the children)."""
    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def wait_for_group(
    client: Client, queue: str, proc: subprocess.Popen[bytes], processes: int
) -> None:
    """Until ``processes`` distinct workers poll both the workflow and activity queue."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker group exited with {proc.returncode} before polling")
        identities: list[set[str]] = []
        for kind in (
            TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ):
            resp = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=kind,
                )
            )
            identities.append({p.identity for p in resp.pollers})
        if len(identities[0] & identities[1]) >= processes:
            return
        await asyncio.sleep(0.3)
    raise TimeoutError(f"{processes} workers did not poll {queue} within 90 s")


def _with_cpu(
    one: Callable[[int], Awaitable[str]], pid: int, sink: list[float]
) -> Callable[[int], Awaitable[str]]:
    """Records the group's CPU when a batch's first request starts (see ``_batch_cpu``)."""

    async def wrapped(i: int) -> str:
        if i == 0:
            sink.append(tree_cpu_s(pid))
        return await one(i)

    return wrapped


def _batch_cpu(loads: list[Load], marks: list[float], ends: list[float]) -> None:
    for load, began, ended in zip(loads, marks, ends, strict=True):
        load.cpu_s = ended - began


async def processes_scenario(
    client: Client,
    settings: Settings,
    at: datetime,
    questions: Sequence[tuple[str, str]],
    *,
    concurrency: int,
    per_batch: int,
    pairs: int,
    log_dir: Path,
) -> dict[str, Any]:
    queues = {n: unique_queue(f"procs{n}") for n in (1, 2)}
    with ExitStack() as stack:
        groups = {
            n: stack.enter_context(
                worker_process(settings, q, log_dir / f"procs{n}.log", ("--processes", str(n)), 45)
            )
            for n, q in queues.items()
        }
        for n, q in queues.items():
            try:
                await wait_for_group(client, q, groups[n], n)
            except (RuntimeError, TimeoutError):
                progress("log tail:\n" + (log_dir / f"procs{n}.log").read_text()[-3000:])
                raise
        requests = {
            n: orchestration_request(
                client, settings.model_copy(update={"task_queue": q}), at, questions
            )
            for n, q in queues.items()
        }
        for n in queues:  # warm-up: first-use imports and caches in every process
            await closed_loop(
                requests[n], concurrency=2 * n * len(questions), total=4 * n * len(questions)
            )
        # CPU of each group's tree around each of its batches.
        marks: dict[int, list[float]] = {1: [], 2: []}
        ends: dict[int, list[float]] = {1: [], 2: []}

        def measured(n: int) -> Callable[[int], Awaitable[str]]:
            inner = _with_cpu(requests[n], groups[n].pid, marks[n])
            done = 0

            async def one(i: int) -> str:
                nonlocal done
                outcome = await inner(i)
                done += 1
                if done % per_batch == 0:
                    ends[n].append(tree_cpu_s(groups[n].pid))
                return outcome

            return one

        progress(
            f"processes: {pairs} x (2 processes, 1 process) batches of {per_batch} at {concurrency}"
        )
        alt = await alternate(
            measured(2),
            measured(1),
            concurrency=concurrency,
            per_batch=per_batch,
            pairs=pairs,
            label="processes",
        )
        _batch_cpu(alt.a, marks[2], ends[2])
        _batch_cpu(alt.b, marks[1], ends[1])
    figures = alt.figures("two", "one")
    return {
        "processes_throughput_1_per_s": figures["one_per_s"],
        "processes_throughput_2_per_s": figures["two_per_s"],
        "processes_speedup": figures["ratio"],
        "processes_speedup_spread": figures["ratio_spread"],
        "processes_worker_cpu_ms_per_question": {
            "1": figures["one_cpu_ms_per_request"],
            "2": figures["two_cpu_ms_per_request"],
        },
        "processes_concurrency": concurrency,
        "processes_loads": figures["batches"],
    }
