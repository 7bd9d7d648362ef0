"""Throughput of ``python worker.py --processes 1`` against ``--processes 2``.

Both groups run as subprocesses on their own task queues at once, and their batches
alternate (A B A B) at one concurrency; the bench process is only the client. The worker
CPU per question is the group's process tree's, the client excluded.

What bounds the speedup: around every batch the CPU of each component is read (the
measured group's process tree, the other group idling on its queue, the Temporal dev
server, PostgreSQL's processes, this client process) as cores busy and CPU ms per
question, with their sum and the whole machine's against its usable cores
(``processes_cpu_by_component``). When one process already keeps the host's cores busy,
a second cannot add throughput; servers named in the environment are null (their CPU is
not ours to read).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.common import progress, unique_queue
from bench.cpu import CpuDelta, CpuMeter, CpuReading, Root, cpu_figures, delta, usable_cores
from bench.environment import BenchServers
from bench.rss import worker_process
from bench.throughput import Load, alternate, closed_loop, orchestration_request


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


class ComponentCpu:
    """Around each batch, every component's CPU (see ``bench.cpu``); a batch's ``cpu_s``
    becomes its own worker group's, so CPU per question is the group's, the client apart."""

    def __init__(self, meter: CpuMeter, sides: dict[str, int]) -> None:
        self._meter = meter
        self._sides = sides  # alternation side -> processes in its group
        self._before: CpuReading | None = None
        self.spans: dict[int, list[CpuDelta]] = {n: [] for n in sides.values()}

    def begin(self, side: str) -> None:
        self._before = self._meter.read()

    def end(self, side: str, load: Load) -> None:
        assert self._before is not None
        n = self._sides[side]
        span = as_seen_by(delta(self._before, self._meter.read()), n)
        self.spans[n].append(span)
        own = span.components[WORKER_GROUP]
        load.cpu_s = own if own is not None else float("nan")


WORKER_GROUP = "worker_group"


def _group(n: int) -> str:
    return f"workers_{n}"


def as_seen_by(span: CpuDelta, n: int) -> CpuDelta:
    """The span with group ``n`` as ``worker_group`` and the other (polling, idle) group as
    ``idle_worker_group``."""
    names = {_group(n): WORKER_GROUP, _group(3 - n): "idle_worker_group"}
    return CpuDelta(
        span.wall_s,
        span.machine_s,
        {names.get(k, k): v for k, v in span.components.items()},
    )


async def processes_scenario(
    client: Client,
    servers: BenchServers,
    at: datetime,
    questions: Sequence[tuple[str, str]],
    *,
    concurrency: int,
    per_batch: int,
    pairs: int,
    log_dir: Path,
) -> dict[str, Any]:
    settings = servers.settings
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
        cpu = ComponentCpu(_meter(servers, groups), {"a": 2, "b": 1})
        progress(
            f"processes: {pairs} x (2 processes, 1 process) batches of {per_batch} at {concurrency}"
        )
        alt = await alternate(
            requests[2],
            requests[1],
            concurrency=concurrency,
            per_batch=per_batch,
            pairs=pairs,
            label="processes",
            observer=cpu,
        )
    cores = usable_cores()
    by_component = {
        str(n): cpu_figures(sum(spans[1:], spans[0]), questions=per_batch * len(spans), cores=cores)
        for n, spans in cpu.spans.items()
    }
    for label, side in by_component.items():
        progress(f"processes: {label} process(es): {_cores_line(side)}")
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
        # Per side, pooled over its batches: what each component kept busy. Whether the host's
        # cores were already full with one process is ``machine_share_of_usable`` on side 1.
        "processes_cpu_by_component": by_component,
        "processes_cores_busy_by_batch": {
            str(n): [_cores(span) for span in spans] for n, spans in cpu.spans.items()
        },
        "processes_concurrency": concurrency,
        "processes_loads": figures["batches"],
    }


def _meter(servers: BenchServers, groups: dict[int, subprocess.Popen[bytes]]) -> CpuMeter:
    def root(pid: int | None) -> Root | None:
        return None if pid is None else Root(pid)

    return CpuMeter(
        {
            **{_group(n): Root(proc.pid) for n, proc in groups.items()},
            "temporal_server": root(servers.temporal_pid),
            "postgres": root(servers.postgres_pid),
            # This process alone: its children are the worker groups (and the servers).
            "bench_client": Root(os.getpid(), tree=False),
        }
    )


def _cores(span: CpuDelta) -> dict[str, float | None]:
    wall = span.wall_s
    out = {k: None if v is None else round(v / wall, 2) for k, v in span.components.items()}
    out["machine"] = round(span.machine_s / wall, 2)
    return out


def _cores_line(figures: dict[str, Any]) -> str:
    parts = [
        f"{name} {value['cores_busy']}"
        for name, value in figures.items()
        if isinstance(value, dict) and "cores_busy" in value
    ]
    return "cores busy: " + ", ".join(parts) + f" of {figures['usable_cores']}"
