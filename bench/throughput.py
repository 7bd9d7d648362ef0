"""Figure 3: full orchestrations per second under concurrent load, against a bare Temporal
workflow with the same activity shape on the same server in the same run."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from temporalio.client import Client, WorkflowFailureError

from bench.bare import bare_worker, run_bare, shape_from_run
from bench.bare_workflow import BareShape
from bench.common import in_process_worker, percentile, progress, rounded, timed_orchestration
from bench.history import activity_spans, history_events
from opsflow.settings import Settings


@dataclass
class Load:
    concurrency: int
    total: int
    wall_s: float = 0.0
    # CPU of this process (client + in-process worker) over the load.
    cpu_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def per_s(self) -> float:
        return self.total / self.wall_s if self.wall_s > 0 else 0.0

    def figures(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "requests": self.total,
            "wall_s": rounded(self.wall_s, 3),
            "per_s": rounded(self.per_s, 2),
            "cpu_ms_per_request": rounded(self.cpu_s * 1000 / self.total, 1),
            # Cores this process kept busy: far below 1 means the limit was elsewhere.
            "process_cores_busy": rounded(self.cpu_s / self.wall_s, 2) if self.wall_s else None,
            "latency_p50_ms": rounded(percentile(self.latencies_ms, 50), 1),
            "latency_p95_ms": rounded(percentile(self.latencies_ms, 95), 1),
            "outcomes": dict(self.outcomes),
        }


async def closed_loop(
    one: Callable[[int], Awaitable[str]], *, concurrency: int, total: int
) -> Load:
    """``concurrency`` lanes, each starting its next request when its last one finished,
    until ``total`` requests are done. ``one`` returns an outcome label."""
    load = Load(concurrency=concurrency, total=total)
    counter = itertools.count()

    async def lane() -> None:
        while (i := next(counter)) < total:
            began = time.perf_counter()
            outcome = await one(i)
            load.latencies_ms.append((time.perf_counter() - began) * 1000)
            load.outcomes[outcome] += 1

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    load.wall_s = time.perf_counter() - began
    load.cpu_s = time.process_time() - cpu
    return load


def failure_label(err: WorkflowFailureError) -> str:
    cause = err.cause
    detail = getattr(cause, "type", None) or getattr(cause, "message", "")
    # A TimeoutError's type is an enum: its name (START_TO_CLOSE, ...) says which timeout.
    return f"{type(cause).__name__}:{getattr(detail, 'name', detail)}"[:120]


def orchestration_request(
    client: Client,
    settings: Settings,
    at: datetime,
    questions: Sequence[tuple[str, str]],
    *,
    eager: bool = False,
) -> Callable[[int], Awaitable[str]]:
    """``eager``: the worker runs in this process on ``client`` (eager workflow start)."""

    async def one(i: int) -> str:
        tenant, question = questions[i % len(questions)]
        try:
            _, result, _ = await timed_orchestration(
                client, settings, question=question, tenant=tenant, at=at, eager=eager
            )
        except WorkflowFailureError as err:
            # A run that ends without a result is an outcome to count, not a bench crash.
            return f"workflow_failed:{failure_label(err)}"
        return result.status.value

    return one


async def sample_shape(
    client: Client, settings: Settings, at: datetime, questions: Sequence[tuple[str, str]]
) -> tuple[BareShape, int]:
    """Run every question once (warm-up); the activity shape of the first, and how many of
    its activities were local (the bare baseline runs all of them as ordinary ones)."""
    sampled: tuple[BareShape, int] | None = None
    for tenant, question in questions:
        _, result, handle = await timed_orchestration(
            client, settings, question=question, tenant=tenant, at=at, eager=True
        )
        if sampled is None:
            events = await history_events(handle)
            local = sum(1 for span in activity_spans(events) if span.get("local"))
            sampled = shape_from_run(result, events, max_parallel=4), local
    assert sampled is not None
    return sampled


@dataclass
class Alternation:
    """Batches of two contenders run A B A B: a change of load hits both alike."""

    a: list[Load] = field(default_factory=list)
    b: list[Load] = field(default_factory=list)

    @staticmethod
    def rate(loads: list[Load]) -> float:
        wall = sum(x.wall_s for x in loads)
        return sum(x.total for x in loads) / wall if wall else 0.0

    @staticmethod
    def cpu_ms_per_request(loads: list[Load]) -> float:
        total = sum(x.total for x in loads)
        return sum(x.cpu_s for x in loads) * 1000 / total if total else float("nan")

    @property
    def a_per_s(self) -> float:
        return self.rate(self.a)

    @property
    def b_per_s(self) -> float:
        return self.rate(self.b)

    @property
    def ratio(self) -> float:
        """Pooled: all of A's requests over A's wall time, against B's."""
        return self.a_per_s / self.b_per_s if self.b_per_s else float("nan")

    @property
    def pair_ratios(self) -> list[float]:
        return [x.per_s / y.per_s for x, y in zip(self.a, self.b, strict=True) if y.per_s]

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_ms_per_request(self.a) / self.cpu_ms_per_request(self.b)

    def figures(self, a: str, b: str) -> dict[str, Any]:
        pairs = self.pair_ratios
        return {
            f"{a}_per_s": rounded(self.a_per_s, 2),
            f"{b}_per_s": rounded(self.b_per_s, 2),
            "ratio": rounded(self.ratio, 3),
            # The spread of the ratio over the pairs (min, max): how much the load moved.
            "ratio_pairs": [rounded(r, 3) for r in pairs],
            "ratio_spread": [rounded(min(pairs), 3), rounded(max(pairs), 3)] if pairs else None,
            f"{a}_cpu_ms_per_request": rounded(self.cpu_ms_per_request(self.a), 1),
            f"{b}_cpu_ms_per_request": rounded(self.cpu_ms_per_request(self.b), 1),
            "cpu_ratio": rounded(self.cpu_ratio, 3),
            "batches": {
                a: [x.figures() for x in self.a],
                b: [x.figures() for x in self.b],
            },
        }


class BatchObserver(Protocol):
    """Told when each batch of an alternation begins and ends (``side``: "a" or "b")."""

    def begin(self, side: str) -> None: ...

    def end(self, side: str, load: Load) -> None: ...


async def alternate(
    a: Callable[[int], Awaitable[str]],
    b: Callable[[int], Awaitable[str]],
    *,
    concurrency: int,
    per_batch: int,
    pairs: int,
    label: str,
    observer: BatchObserver | None = None,
) -> Alternation:
    out = Alternation()

    async def batch(side: str, one: Callable[[int], Awaitable[str]]) -> Load:
        if observer is not None:
            observer.begin(side)
        load = await closed_loop(one, concurrency=concurrency, total=per_batch)
        if observer is not None:
            observer.end(side, load)
        return load

    for pair in range(pairs):
        out.a.append(await batch("a", a))
        out.b.append(await batch("b", b))
        progress(
            f"{label}: pair {pair + 1}/{pairs}: {out.a[-1].per_s:.1f}/s against "
            f"{out.b[-1].per_s:.1f}/s"
        )
    return out


async def throughput_scenario(
    client: Client,
    settings: Settings,
    at: datetime,
    questions: Sequence[tuple[str, str]],
    *,
    concurrencies: Sequence[int],
    rounds: int,
    pairs: int = 2,
) -> dict[str, Any]:
    """Per concurrency, ``pairs`` OpsFlow batches and bare batches alternating (A B A B),
    each of ``concurrency * rounds`` requests; the ratio pools each side's batches."""
    out: dict[str, Any] = {}
    loads: dict[str, Any] = {}
    async with (
        in_process_worker(client, settings, tool_latency_ms=0) as ops_settings,
        bare_worker(client, settings) as bare_queue,
    ):
        progress(f"throughput: warm-up with {len(questions)} typical questions")
        shape, local = await sample_shape(client, ops_settings, at, questions)
        await closed_loop(_bare_request(client, bare_queue, shape), concurrency=10, total=20)
        out["activities_per_orchestration"] = shape.activity_count
        out["local_activities_per_orchestration"] = local
        out["bare_shape"] = {
            "before": shape.before,
            "after": shape.after,
            "steps": {s.id: s.depends_on for s in shape.steps},
        }
        ratios, cpu_ratios = [], []
        for conc in concurrencies:
            progress(f"throughput: {pairs} x (OpsFlow, bare) batches of {conc * rounds} at {conc}")
            alt = await alternate(
                orchestration_request(client, ops_settings, at, questions, eager=True),
                _bare_request(client, bare_queue, shape),
                concurrency=conc,
                per_batch=conc * rounds,
                pairs=pairs,
                label=f"throughput {conc}",
            )
            out[f"throughput_{conc}_per_s"] = rounded(alt.a_per_s, 2)
            out[f"bare_throughput_{conc}_per_s"] = rounded(alt.b_per_s, 2)
            out[f"throughput_ratio_{conc}"] = rounded(alt.ratio, 3)
            out[f"throughput_ratio_{conc}_spread"] = alt.figures("ops", "bare")["ratio_spread"]
            out[f"cpu_ratio_{conc}"] = rounded(alt.cpu_ratio, 3)
            ratios.append(alt.ratio)
            cpu_ratios.append(alt.cpu_ratio)
            loads[str(conc)] = alt.figures("ops", "bare")
    # A goal holds only if it holds at every concurrency: report the worst.
    out["throughput_ratio"] = rounded(min(ratios), 3)
    out["cpu_per_question_ratio"] = rounded(max(cpu_ratios), 3)
    out["throughput_loads"] = loads
    return out


def _bare_request(client: Client, queue: str, shape: BareShape) -> Callable[[int], Awaitable[str]]:
    async def one(_: int) -> str:
        await run_bare(client, queue, shape)
        return "success"

    return one
