"""Scale section: the same typical questions on a small, a large and an extra-large table.

- **small against extra-large, side by side** (the issue's 1.2x bar). Two new databases
  in the same PostgreSQL cluster, each created empty and migrated as the stack's own and
  seeded with the small seed (same end, so the same questions over the same rows); the
  extra-large one then gets the seed's history repeated back in time to at least 30 M
  samples (see ``bench.scale_data``). One in-process worker per database, on its own task
  queue; every question is asked of both in a pair, pairs alternating which goes first,
  ``passes`` times, then closed-loop batches alternate A B A B (``bench.scale_pair``).
  Interleaved because measured one tier after the other, minutes apart, a change of load
  on the shared host showed up as a tier difference (ratios 0.74-1.25 over four runs).
- **large, alone** (a bigger question: a larger graph at a finer step, about 8x the rows
  read), on the stack's own database, before the pair: its question differs, so there is
  no like-for-like partner to interleave it with.

Per tier: p50/p95 latency of the questions asked one at a time (and the p50 of each pass),
CPU per question of this process (client and in-process worker; the two workers of the
pair share it, but questions are serial, so each question's CPU is its tier's) and of
PostgreSQL's backends for the tier's database (io workers, upkeep and the postmaster
serve both databases: reported apart), claims written, closed-loop throughput, table and
index sizes. Each database is vacuumed and checkpointed before it is measured.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from temporalio.client import Client

from bench.common import in_process_worker, percentile, progress, rounded, timed_orchestration
from bench.environment import BenchServers, seed, typical_questions
from bench.machine import load_average
from bench.scale_data import (
    SHARED_ROLES,
    DatabaseCpu,
    claims,
    create_database,
    database_name,
    db_ms_per_question,
    drop_database,
    extend_history,
    settle,
    table_size,
)
from bench.scale_pair import PAIR, side_by_side
from bench.throughput import closed_loop, orchestration_request
from opsflow.settings import Settings
from opsflow_app.seed import default_end

TIERS = ("small", "large", "xlarge")


@dataclass(frozen=True)
class ScaleProfile:
    passes: int
    concurrency: int
    throughput_total: int


async def _data_figures(dsn: str) -> tuple[dict[str, Any], datetime]:
    """Settles the database, then its table's size and the questions' reference time."""
    began = time.perf_counter()
    figures: dict[str, Any] = {"checkpointed": await settle(dsn)}
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


async def _large_tier(
    client: Client, settings: Settings, db_cpu: DatabaseCpu, profile: ScaleProfile, seeded: bool
) -> dict[str, Any]:
    dsn = settings.db_dsn or ""
    figures: dict[str, Any] = {"database": database_name(dsn)}
    if not seeded:
        report = await seed(dsn, "large")
        figures["seed_seconds"] = round(report.seconds + report.generate_seconds, 1)
    data, at = await _data_figures(dsn)
    progress(f"scale: measuring tier large ({data['samples']} samples)")
    questions = await typical_questions(dsn)
    claims_before = await claims(dsn)
    async with in_process_worker(client, settings, tool_latency_ms=0) as ops:
        rows_read = []
        for tenant, question in questions:  # warm-up: caches, prepared statements
            _, result, _ = await timed_orchestration(
                client, ops, question=question, tenant=tenant, at=at
            )
            rows_read.append(sum(s.row_count for s in result.steps))
        latencies: list[float] = []
        pass_p50: list[float] = []
        cpu0, db0 = time.process_time(), db_cpu.by_role()
        for _ in range(profile.passes):
            this_pass = []
            for tenant, question in questions:
                ms, _, _ = await timed_orchestration(
                    client, ops, question=question, tenant=tenant, at=at
                )
                this_pass.append(ms)
            latencies += this_pass
            pass_p50.append(statistics.median(this_pass))
        cpu_s, db1 = time.process_time() - cpu0, db_cpu.by_role()
        load = await closed_loop(
            orchestration_request(client, ops, at, questions),
            concurrency=profile.concurrency,
            total=profile.throughput_total,
        )
    n = len(latencies)
    asked = len(questions) * (1 + profile.passes) + profile.throughput_total
    own = f"database:{database_name(dsn)}"
    return (
        figures
        | data
        | {
            "questions": len(questions),
            "rows_read_per_question_p50": statistics.median(rows_read),
            "p50_ms": rounded(percentile(latencies, 50), 1),
            "p95_ms": rounded(percentile(latencies, 95), 1),
            "p50_ms_per_pass": [round(x, 1) for x in pass_p50],
            "process_cpu_ms_per_question": rounded(cpu_s * 1000 / n, 1),
            "db_cpu_ms_per_question": db_ms_per_question(db0, db1, [own], n),
            # The other server processes over the same runs: not the questions' own
            # backends (io workers read for them; checkpoints, WAL, autovacuum are upkeep).
            "db_shared_cpu_ms_per_question": {
                role: db_ms_per_question(db0, db1, [role], n) for role in SHARED_ROLES
            },
            "throughput_per_s": rounded(load.per_s, 2),
            "throughput_concurrency": profile.concurrency,
            "throughput_outcomes": dict(load.outcomes),
            "throughput_cpu_ms_per_question": rounded(load.cpu_s * 1000 / load.total, 1),
            # The one per-question write: a tool result over the history budget is stored.
            "claims_per_question": round((await claims(dsn) - claims_before) / asked, 2),
            "load_average": load_average(),
        }
    )


async def _prepare_pair(dsn: str) -> tuple[dict[str, str], dict[str, Any], datetime]:
    """Both databases of the pair, seeded alike; the extra-large one extended."""
    end = default_end()
    dsns: dict[str, str] = {}
    figures: dict[str, Any] = {}
    for tier in PAIR:
        name = f"{database_name(dsn)}_scale_{tier}"
        progress(f"scale: creating database {name} (small seed)")
        dsns[tier] = await create_database(dsn, name)
        report = await seed(dsns[tier], "small", end)
        figures[tier] = {"seed_seconds": round(report.seconds + report.generate_seconds, 1)}
    figures["xlarge"] |= await extend_history(dsns["xlarge"])
    ats = set()
    for tier in PAIR:
        data, at = await _data_figures(dsns[tier])
        figures[tier] |= data
        ats.add(at)
    if len(ats) != 1:
        raise RuntimeError(f"the pair's databases end at different instants: {sorted(ats)}")
    return dsns, figures, ats.pop()


def _ratio(tiers: dict[str, Any], key: str, top: str, bottom: str) -> float | None:
    a, b = tiers.get(top, {}).get(key), tiers.get(bottom, {}).get(key)
    return rounded(a / b, 3) if a and b else None


async def scale_scenario(
    client: Client,
    servers: BenchServers,
    *,
    profile: ScaleProfile,
    seeded: str | None,
) -> dict[str, Any]:
    """``seeded``: the preset the stack's database holds now (large: reused as it is)."""
    settings = servers.settings
    dsn = settings.db_dsn or ""
    db_cpu = DatabaseCpu.of_pid(servers.postgres_pid)
    out: dict[str, Any] = {}
    progress("scale: tier large, alone")
    out["large"] = await _large_tier(client, settings, db_cpu, profile, seeded == "large")
    progress(f"scale: large p50 {out['large']['p50_ms']} ms")
    began = time.perf_counter()
    try:
        dsns, data, at = await _prepare_pair(dsn)
        prepare_s = time.perf_counter() - began
        pair = await side_by_side(
            client,
            settings,
            dsns,
            at,
            db_cpu,
            passes=profile.passes,
            concurrency=profile.concurrency,
            throughput_total=profile.throughput_total,
        )
    finally:
        for tier in PAIR:
            await drop_database(dsn, f"{database_name(dsn)}_scale_{tier}")
    for tier in PAIR:
        out[tier] = data[tier] | pair["tiers"][tier] | {"load_average": load_average()}
    ratios = pair["ratios"]
    progress(
        f"scale: p50 small {out['small']['p50_ms']} ms, xlarge {out['xlarge']['p50_ms']} ms,"
        f" ratio {ratios['p50_ratio']} (per pass {ratios['p50_ratio_spread']})"
    )
    return {
        "scale": {tier: out[tier] for tier in TIERS},
        # The bar: p50 on the largest table within 1.2x of the small one's (the
        # same questions over the same rows in their windows: only the table differs),
        # from the pooled interleaved passes.
        "scale_p50_ratio": ratios["p50_ratio"],
        "scale_p50_ratio_spread": ratios["p50_ratio_spread"],
        "scale_p50_ratio_per_pass": ratios["p50_ratio_per_pass"],
        "scale_pair_ratio_quantiles": ratios["pair_ratio_quantiles"],
        "scale_cpu_ratio": _ratio(out, "process_cpu_ms_per_question", "xlarge", "small"),
        "scale_db_cpu_ratio": _ratio(out, "db_cpu_ms_per_question", "xlarge", "small"),
        "scale_throughput_ratio": pair["throughput_ratio"],
        "scale_throughput_ratio_pairs": pair["throughput_ratio_pairs"],
        "scale_interleaved": {
            "order": "question pairs (small, xlarge), which goes first alternating; "
            "then closed-loop batches small, xlarge, small, xlarge",
            "prepare_seconds": round(prepare_s, 1),
            "serial_seconds": pair["serial_seconds"],
            "db_shared_cpu_ms_per_question": pair["db_shared_cpu_ms_per_question"],
        },
    }
