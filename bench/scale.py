"""Scale section: the same typical questions on a small, a large and an extra-large table.

Each tier replaces the data (small and large are the seed presets; extra-large is the small
seed with its history repeated back in time to at least 30 M samples, see
``bench.scale_data``: the small seed's questions over a table 300 times its size), then
measures on a fresh in-process worker:

- latency: every question asked one at a time, ``passes`` times (p50, p95, and the p50 of
  each pass as the spread);
- CPU per question over those serial runs: this process (the worker and the client) and,
  when the server is local, PostgreSQL's processes;
- throughput: a closed loop at ``concurrency``.

Tiers run one after another, not interleaved (each needs its own data), so a change of
load on the machine during the section shows up as a tier difference: the spread and the
load average per tier are in the JSON to judge it by.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from temporalio.client import Client

from bench.common import in_process_worker, percentile, progress, rounded, timed_orchestration
from bench.environment import seed, typical_questions
from bench.machine import load_average
from bench.scale_data import DatabaseCpu, extend_history, settle, table_size
from bench.throughput import closed_loop, orchestration_request
from opsflow.settings import Settings

TIERS = ("small", "large", "xlarge")
# Which seed preset each tier starts from.
# Which seed preset each tier starts from. Large is a bigger question (a larger graph at a
# finer step: about 8x the rows read), extra-large the same question on a bigger table.
_PRESET = {"small": "small", "large": "large", "xlarge": "small"}


@dataclass(frozen=True)
class ScaleProfile:
    passes: int
    concurrency: int
    throughput_total: int


async def _prepare(dsn: str, tier: str, seeded: str | None) -> tuple[dict[str, Any], Any]:
    """Data for ``tier``; ``seeded``: the preset the database holds now (small -> xlarge
    only extends). Returns the tier's data figures and the questions' reference time."""
    figures: dict[str, Any] = {}
    if seeded != _PRESET[tier]:
        report = await seed(dsn, _PRESET[tier])
        figures["seed_seconds"] = round(report.seconds + report.generate_seconds, 1)
    if tier == "xlarge":
        figures |= await extend_history(dsn)
    began = time.perf_counter()
    figures["checkpointed"] = await settle(dsn)
    figures["settle_seconds"] = round(time.perf_counter() - began, 1)
    conn = await asyncpg.connect(dsn)
    try:
        size = await table_size(conn)
        # The seed's end (extending history adds only older rows): the questions' instant.
        at = await conn.fetchval("SELECT max(taken_at) FROM topology_snapshot")
    finally:
        await conn.close()
    figures |= {
        "samples": size.samples,
        "table_mb": round(size.table_mb),
        "indexes_mb": round(size.indexes_mb),
    }
    return figures, at


async def _measure_tier(
    client: Client,
    settings: Settings,
    dsn: str,
    at: Any,
    profile: ScaleProfile,
) -> dict[str, Any]:
    questions = await typical_questions(dsn)
    db_cpu = await DatabaseCpu.find(dsn)
    claims_before = await _claims(dsn)
    async with in_process_worker(client, settings, tool_latency_ms=0) as ops:
        rows_read = []
        for tenant, question in questions:  # warm-up: caches, prepared statements
            _, result, _ = await timed_orchestration(
                client, ops, question=question, tenant=tenant, at=at
            )
            rows_read.append(sum(s.row_count for s in result.steps))
        latencies: list[float] = []
        pass_p50: list[float] = []
        cpu0, db0 = time.process_time(), db_cpu.seconds()
        for _ in range(profile.passes):
            this_pass = []
            for tenant, question in questions:
                ms, _, _ = await timed_orchestration(
                    client, ops, question=question, tenant=tenant, at=at
                )
                this_pass.append(ms)
            latencies += this_pass
            pass_p50.append(statistics.median(this_pass))
        cpu_s, db1 = time.process_time() - cpu0, db_cpu.seconds()
        db_ms = _per_question_ms(db0, db1, len(latencies))
        load = await closed_loop(
            orchestration_request(client, ops, at, questions),
            concurrency=profile.concurrency,
            total=profile.throughput_total,
        )
    n = len(latencies)
    asked = len(questions) * (1 + profile.passes) + profile.throughput_total
    return {
        "questions": len(questions),
        "rows_read_per_question_p50": statistics.median(rows_read),
        "p50_ms": rounded(percentile(latencies, 50), 1),
        "p95_ms": rounded(percentile(latencies, 95), 1),
        "p50_ms_per_pass": [round(x, 1) for x in pass_p50],
        "process_cpu_ms_per_question": rounded(cpu_s * 1000 / n, 1),
        "db_cpu_ms_per_question": rounded(db_ms[0], 1) if db_ms else None,
        # Checkpoints, WAL writing, autovacuum over the same runs: not the questions' own.
        "db_upkeep_cpu_ms_per_question": rounded(db_ms[1], 1) if db_ms else None,
        "throughput_per_s": rounded(load.per_s, 2),
        "throughput_concurrency": profile.concurrency,
        "throughput_outcomes": dict(load.outcomes),
        "throughput_cpu_ms_per_question": rounded(load.cpu_s * 1000 / load.total, 1),
        # The one per-question write: a tool result over the history budget is stored.
        "claims_per_question": round((await _claims(dsn) - claims_before) / asked, 2),
        "load_average": load_average(),
    }


def _per_question_ms(
    before: tuple[float, float] | None, after: tuple[float, float] | None, n: int
) -> list[float] | None:
    if before is None or after is None or n == 0:
        return None
    return [(b - a) * 1000 / n for a, b in zip(before, after, strict=True)]


async def _claims(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM tool_result_claim"))
    finally:
        await conn.close()


def _ratio(tiers: dict[str, Any], key: str, top: str, bottom: str) -> float | None:
    a, b = tiers.get(top, {}).get(key), tiers.get(bottom, {}).get(key)
    return rounded(a / b, 3) if a and b else None


async def scale_scenario(
    client: Client,
    settings: Settings,
    *,
    profile: ScaleProfile,
    tiers: Sequence[str] = TIERS,
) -> dict[str, Any]:
    dsn = settings.db_dsn or ""
    out: dict[str, Any] = {}
    seeded: str | None = None
    for tier in tiers:
        progress(f"scale: preparing tier {tier}")
        data, at = await _prepare(dsn, tier, seeded)
        seeded = _PRESET[tier]
        progress(f"scale: measuring tier {tier} ({data['samples']} samples)")
        out[tier] = data | await _measure_tier(client, settings, dsn, at, profile)
        progress(f"scale: {tier} p50 {out[tier]['p50_ms']} ms, {out[tier]['throughput_per_s']}/s")
    largest = tiers[-1]
    return {
        "scale": out,
        # The bar: p50 on the largest table within 1.2x of the small one's (the
        # same questions over the same rows in their windows: only the table differs).
        "scale_p50_ratio": _ratio(out, "p50_ms", largest, "small"),
        "scale_cpu_ratio": _ratio(out, "process_cpu_ms_per_question", largest, "small"),
        "scale_db_cpu_ratio": _ratio(out, "db_cpu_ms_per_question", largest, "small"),
        "scale_throughput_ratio": _ratio(out, "throughput_per_s", largest, "small"),
    }
