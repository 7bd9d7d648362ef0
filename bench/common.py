"""What every benchmark shares: statistics, progress on stderr, the in-process worker and a
timed orchestration (client start -> result)."""

from __future__ import annotations

import logging
import math
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle

from opsflow.models import OpsRequest, OrchestrationResult, Plan
from opsflow.settings import Settings
from opsflow_app.client.questions import start


def progress(message: str) -> None:
    """Progress goes to stderr: stdout carries only the final JSON object."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Iterable[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100), like numpy's default."""
    data = sorted(values)
    if not data:
        return math.nan
    rank = (len(data) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return data[low] + (data[high] - data[low]) * (rank - low)


def rounded(value: float, digits: int = 2) -> float | None:
    """JSON has no NaN: a figure that could not be measured is null."""
    return None if math.isnan(value) or math.isinf(value) else round(value, digits)


def median_by_key(rows: list[dict[str, float]]) -> dict[str, float | None]:
    """Median of each key over the rows that have it."""
    keys = sorted({k for row in rows for k in row})
    return {k: rounded(statistics.median([row[k] for row in rows if k in row])) for k in keys}


def unique_queue(prefix: str) -> str:
    return f"bench-{prefix}-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def in_process_worker(
    client: Client, settings: Settings, **overrides: Any
) -> AsyncIterator[Settings]:
    """The product's worker (resources + build_worker) on a fresh task queue.

    ``overrides`` are Settings fields, e.g. ``tool_latency_ms=200``.
    """
    from opsflow_app import worker_main as worker_module

    custom = settings.model_copy(update={"task_queue": unique_queue("ops"), **overrides})
    async with (
        worker_module.worker_resources(custom) as res,
        worker_module.build_worker(client, res),
    ):
        yield custom


async def timed_orchestration(
    client: Client,
    settings: Settings,
    *,
    question: str,
    tenant: str,
    at: datetime | None,
    plan: Plan | None = None,
    max_parallel: int = 4,
    eager: bool = False,
) -> tuple[float, OrchestrationResult, WorkflowHandle[Any, OrchestrationResult]]:
    """End-to-end milliseconds from the client's start call to the decoded result.

    ``eager``: ask for eager workflow start (takes effect only when this process hosts a
    worker for the queue on ``client``: the in-process worker, never a subprocess worker).
    """
    request = OpsRequest(
        question=question,
        tenant_id=tenant,
        reference_time=at,
        plan_override=plan,
        max_parallel=max_parallel,
    )
    began = time.perf_counter()
    handle = await start(client, request, settings, eager=eager)
    result = await handle.result()
    elapsed_ms = (time.perf_counter() - began) * 1000
    return elapsed_ms, result, handle


@contextmanager
def root_logs_discarded() -> Iterator[None]:
    """Root log handlers write to /dev/null meanwhile: records are still formatted (the
    worker pays that cost too), but hundreds of expected warnings stay off the terminal."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    with open(os.devnull, "w") as sink:
        previous = [h.setStream(sink) for h in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)
