"""Figure 5: the worker's peak RSS under 200 concurrent orchestrations.

The worker runs as its own process (``python worker.py``, configured by env vars like in
production) so the figure is the worker's alone, not the bench client's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.common import progress, rounded, unique_queue
from bench.environment import bytecode_env
from bench.throughput import closed_loop, orchestration_request
from opsflow.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_INTERVAL_S = 0.1
MB = 1024 * 1024


class RssSampler:
    """Samples a process tree's RSS from a thread, so a busy event loop cannot skip samples."""

    def __init__(self, pid: int) -> None:
        self._proc = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.samples: list[tuple[float, int]] = []
        self._window_start = 0

    def _rss(self) -> int:
        procs = [self._proc, *self._proc.children(recursive=True)]
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.perf_counter(), self._rss()))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(SAMPLE_INTERVAL_S)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def mark(self) -> None:
        """Start a new window: ``window_peak`` looks at samples from here on."""
        self._window_start = len(self.samples)

    def window_peak(self) -> int:
        window = self.samples[self._window_start :]
        return max((rss for _, rss in window), default=0)


def _cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def worker_env(settings: Settings, queue: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPSFLOW_METRICS_PORT"):
        env.pop(name, None)
    env.update(
        {
            "TEMPORAL_ADDRESS": settings.temporal_address or "",
            "OPSFLOW_DB_DSN": settings.db_dsn or "",
            "OPSFLOW_TASK_QUEUE": queue,
            "OPSFLOW_TOOL_LATENCY_MS": "0",
            "OPSFLOW_LOG_LEVEL": "WARNING",
            "OPSFLOW_WORKFLOW_SANDBOX": "true" if settings.workflow_sandbox else "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return bytecode_env(env)


@contextmanager
def worker_process(
    settings: Settings,
    queue: str,
    log_path: Path,
    args: tuple[str, ...] = (),
    stop_timeout_s: float = 30,
) -> Iterator[subprocess.Popen[bytes]]:
    """``worker.py`` (with ``args``, e.g. ``--processes 2``) in its own process, stopped
    with SIGTERM (a worker group stops its children) and killed if it overstays."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py"), *args],
            cwd=ROOT,
            env=worker_env(settings, queue),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=stop_timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


async def wait_for_pollers(
    client: Client, queue: str, proc: subprocess.Popen[bytes], timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    kinds = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode} before polling")
        ready = 0
        for kind in kinds:
            resp = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=kind,
                )
            )
            ready += bool(resp.pollers)
        if ready == len(kinds):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no worker polled {queue} within {timeout_s:.0f}s")


async def rss_scenario(
    client: Client,
    settings: Settings,
    at: datetime,
    questions: Sequence[tuple[str, str]],
    *,
    concurrency: int,
    rounds: int,
    log_dir: Path,
) -> dict[str, Any]:
    queue = unique_queue("rss")
    log_path = log_dir / "bench-worker.log"
    progress(
        f"rss: worker subprocess on {queue}, {concurrency * rounds} orchestrations "
        f"at concurrency {concurrency}"
    )
    with worker_process(settings, queue, log_path) as proc:
        sampler = RssSampler(proc.pid)
        sampler.start()
        try:
            try:
                await wait_for_pollers(client, queue, proc)
            except (RuntimeError, TimeoutError):
                progress("worker log tail:\n" + log_path.read_text(errors="replace")[-3000:])
                raise
            await asyncio.sleep(1.0)
            idle = sampler.window_peak()
            worker_settings = settings.model_copy(update={"task_queue": queue})
            # Warm-up: first-use imports and caches are part of the idle worker.
            await closed_loop(
                orchestration_request(client, worker_settings, at, questions),
                concurrency=len(questions),
                total=len(questions),
            )
            warm = sampler.samples[-1][1] if sampler.samples else 0
            sampler.mark()
            cpu_before = _cpu_s(proc.pid)
            load = await closed_loop(
                orchestration_request(client, worker_settings, at, questions),
                concurrency=concurrency,
                total=concurrency * rounds,
            )
            worker_cpu_s = _cpu_s(proc.pid) - cpu_before
            await asyncio.sleep(2 * SAMPLE_INTERVAL_S)
            peak = sampler.window_peak()
        finally:
            sampler.stop()
    progress(f"rss: peak {peak / MB:.0f} MB (idle {idle / MB:.0f} MB)")
    return {
        "worker_peak_rss_mb": rounded(peak / MB, 1),
        "worker_idle_rss_mb": rounded(idle / MB, 1),
        "worker_warm_rss_mb": rounded(warm / MB, 1),
        "rss_samples": len(sampler.samples),
        # The worker process alone (every thread: Python, Rust core, asyncpg).
        "worker_cpu_ms_per_orchestration": rounded(worker_cpu_s * 1000 / load.total, 1),
        "throughput_200_subprocess_worker_per_s": rounded(load.per_s, 2),
        "rss_load": load.figures(),
    }
