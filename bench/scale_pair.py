"""The small and the extra-large table measured side by side, questions interleaved.

Two databases in one PostgreSQL cluster hold the same small seed (same tenants, same end,
same questions); one has its history repeated back to >= 30 M samples. One in-process
worker serves each database on its own task queue, and every question is asked of both,
one at a time, in pairs whose order alternates (small then extra-large, then extra-large
then small, ...), so a change of load on the host reaches both tiers alike and neither
always runs second. Then closed-loop batches alternate the same way (A B A B).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.client import Client

from bench.common import in_process_worker, percentile, progress, rounded, timed_orchestration
from bench.environment import typical_questions
from bench.scale_data import (
    SHARED_ROLES,
    DatabaseCpu,
    claims,
    database_name,
    db_ms_per_question,
)
from bench.throughput import alternate, orchestration_request
from opsflow.settings import Settings

PAIR = ("small", "xlarge")


@dataclass
class TierRuns:
    """One tier's serial runs: latency and this process's CPU per question, by pass."""

    latencies_ms: list[float] = field(default_factory=list)
    process_cpu_s: float = 0.0
    by_pass: list[list[float]] = field(default_factory=list)

    def add(self, pass_no: int, ms: float, cpu_s: float) -> None:
        while len(self.by_pass) <= pass_no:
            self.by_pass.append([])
        self.by_pass[pass_no].append(ms)
        self.latencies_ms.append(ms)
        self.process_cpu_s += cpu_s


def pair_order(index: int) -> tuple[str, str]:
    """Which tier goes first in the ``index``-th pair: alternately each."""
    return PAIR if index % 2 == 0 else (PAIR[1], PAIR[0])


def ratio_figures(
    small: Sequence[float],
    xlarge: Sequence[float],
    by_pass: Sequence[tuple[list[float], list[float]]],
) -> dict[str, Any]:
    """Extra-large over small: the pooled p50s' ratio (the goal's figure), the ratio of each
    pass's p50s (its spread says how much the load moved during the section), and the
    quantiles of the ratios of the questions asked together (pair by pair)."""
    pooled = statistics.median(xlarge) / statistics.median(small)
    passes = [statistics.median(x) / statistics.median(s) for s, x in by_pass if s and x]
    pairs = [x / s for s, x in zip(small, xlarge, strict=True) if s > 0]
    return {
        "p50_ratio": rounded(pooled, 3),
        "p50_ratio_per_pass": [rounded(r, 3) for r in passes],
        "p50_ratio_spread": [rounded(min(passes), 3), rounded(max(passes), 3)] if passes else None,
        "pair_ratio_quantiles": {f"p{q}": rounded(percentile(pairs, q), 3) for q in (10, 50, 90)},
    }


async def side_by_side(
    client: Client,
    settings: Settings,
    dsns: dict[str, str],
    at: datetime,
    db_cpu: DatabaseCpu,
    *,
    passes: int,
    concurrency: int,
    throughput_total: int,
) -> dict[str, Any]:
    """Per tier of ``PAIR`` (``dsns`` names each one's database), and the ratios."""
    questions = await typical_questions(dsns["small"])
    if questions != await typical_questions(dsns["xlarge"]):
        raise RuntimeError("the two databases' seeded questions differ")
    claims_before = {t: await claims(dsns[t]) for t in PAIR}
    runs = {t: TierRuns() for t in PAIR}
    rows_read: dict[str, list[int]] = {t: [] for t in PAIR}
    async with AsyncExitStack() as stack:
        workers = {
            t: await stack.enter_async_context(
                in_process_worker(client, settings, tool_latency_ms=0, db_dsn=dsns[t])
            )
            for t in PAIR
        }
        for index, (tenant, question) in enumerate(questions):  # warm-up, pairs alike
            for tier in pair_order(index):
                _, result, _ = await timed_orchestration(
                    client, workers[tier], question=question, tenant=tenant, at=at
                )
                rows_read[tier].append(sum(s.row_count for s in result.steps))
        progress(f"scale: {passes} passes of {len(questions)} question pairs, interleaved")
        db0, began = db_cpu.by_role(), time.perf_counter()
        for pass_no in range(passes):
            for i, (tenant, question) in enumerate(questions):
                for tier in pair_order(pass_no * len(questions) + i):
                    cpu0 = time.process_time()
                    ms, _, _ = await timed_orchestration(
                        client, workers[tier], question=question, tenant=tenant, at=at
                    )
                    runs[tier].add(pass_no, ms, time.process_time() - cpu0)
        db1, wall = db_cpu.by_role(), time.perf_counter() - began
        progress(f"scale: 2 x (small, xlarge) closed-loop batches at {concurrency}")
        alt = await alternate(
            orchestration_request(client, workers["small"], at, questions),
            orchestration_request(client, workers["xlarge"], at, questions),
            concurrency=concurrency,
            per_batch=max(1, throughput_total // 2),
            pairs=2,
            label="scale throughput",
        )
    loads = {"small": alt.a, "xlarge": alt.b}
    asked = len(questions) * (1 + passes) + throughput_total
    tiers: dict[str, Any] = {}
    for tier in PAIR:
        n = len(runs[tier].latencies_ms)
        tiers[tier] = {
            "database": database_name(dsns[tier]),
            "questions": len(questions),
            "rows_read_per_question_p50": statistics.median(rows_read[tier]),
            "p50_ms": rounded(percentile(runs[tier].latencies_ms, 50), 1),
            "p95_ms": rounded(percentile(runs[tier].latencies_ms, 95), 1),
            "p50_ms_per_pass": [round(statistics.median(p), 1) for p in runs[tier].by_pass],
            "process_cpu_ms_per_question": rounded(runs[tier].process_cpu_s * 1000 / n, 1),
            # This database's backends only: both tiers' questions share one server.
            "db_cpu_ms_per_question": db_ms_per_question(
                db0, db1, [f"database:{database_name(dsns[tier])}"], n
            ),
            "throughput_per_s": rounded(alt.rate(loads[tier]), 2),
            "throughput_concurrency": concurrency,
            "throughput_outcomes": dict(sum((x.outcomes for x in loads[tier]), Counter())),
            "throughput_cpu_ms_per_question": rounded(alt.cpu_ms_per_request(loads[tier]), 1),
            "claims_per_question": round(
                (await claims(dsns[tier]) - claims_before[tier]) / asked, 2
            ),
        }
    both = sum(len(runs[t].latencies_ms) for t in PAIR)
    by_pass = list(zip(runs["small"].by_pass, runs["xlarge"].by_pass, strict=True))
    return {
        "tiers": tiers,
        "ratios": ratio_figures(runs["small"].latencies_ms, runs["xlarge"].latencies_ms, by_pass),
        # Extra-large over small, pooled and pair by pair.
        "throughput_ratio": rounded(alt.rate(alt.b) / alt.rate(alt.a), 3) if alt.a_per_s else None,
        "throughput_ratio_pairs": [
            rounded(x.per_s / s.per_s, 3) for s, x in zip(alt.a, alt.b, strict=True) if s.per_s
        ],
        "serial_seconds": round(wall, 1),
        # Server processes that work for both databases, per question of either tier.
        "db_shared_cpu_ms_per_question": {
            role: db_ms_per_question(db0, db1, [role], both) for role in SHARED_ROLES
        },
    }
