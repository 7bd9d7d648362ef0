"""Figure 4: the SQL validator's own latency over the corpora, and its share of the real
``direct_query`` activity (validation, tenant session, query, rows) for benign SQL."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from bench.common import percentile, progress, root_logs_discarded, rounded
from opsflow.errors import AppError
from opsflow.models import ToolCall
from opsflow.names import Capability, ToolName
from opsflow.settings import Settings
from opsflow.sql import validate_sql

CORPORA = Path(__file__).resolve().parents[1] / "tests" / "corpora"
TENANT = "t_acme"


def read_corpus(name: str) -> list[str]:
    text = (CORPORA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def time_validator(sql: str, reps: int, row_cap: int = 1000) -> list[float]:
    """Microseconds per call, after one untimed call (imports, first-use caches)."""
    validate_sql(sql, TENANT, row_cap=row_cap)
    samples = []
    for _ in range(reps):
        began = time.perf_counter()
        validate_sql(sql, TENANT, row_cap=row_cap)
        samples.append((time.perf_counter() - began) * 1e6)
    return samples


def validator_latency(reps: int) -> dict[str, Any]:
    attacks, benign = read_corpus("sql_attacks.txt"), read_corpus("sql_benign.txt")
    progress(f"validator: {len(attacks)} attacks + {len(benign)} benign, {reps} reps each")
    by_corpus: dict[str, list[float]] = {"attacks": [], "benign": []}
    with root_logs_discarded():
        for label, corpus in (("attacks", attacks), ("benign", benign)):
            for sql in corpus:
                by_corpus[label] += time_validator(sql, reps)
    every = by_corpus["attacks"] + by_corpus["benign"]
    return {
        "validator_us_p50": rounded(percentile(every, 50), 1),
        "validator_us_p99": rounded(percentile(every, 99), 1),
        "validator_us_max": rounded(max(every), 1),
        "validator_statements": len(attacks) + len(benign),
        "validator_reps": reps,
        "validator_us_by_corpus": {
            label: {"p50": rounded(percentile(v, 50), 1), "p99": rounded(percentile(v, 99), 1)}
            for label, v in by_corpus.items()
        },
    }


async def validator_share(settings: Settings, at: Any, reps: int) -> dict[str, Any]:
    """Per benign query: median validator time / median ``direct_query`` activity time.

    The activity runs in-process through ``ActivityEnvironment`` with the worker's real
    resources (pool, policies): the tool wrapper, validation, tenant session and fetch.
    """
    from activities.direct_query import QueryTools
    from opsflow_app import worker_main as worker_module

    benign = read_corpus("sql_benign.txt")
    progress(f"validator share: {len(benign)} benign queries through direct_query, {reps} reps")
    shares: list[float] = []
    validator_total = activity_total = 0.0
    blocked: list[str] = []
    async with worker_module.worker_resources(settings) as res:
        tools = QueryTools(res)
        row_cap = res.policy(ToolName.DIRECT_QUERY).max_rows
        env = ActivityEnvironment()
        for n, sql in enumerate(benign):
            call = ToolCall(
                tenant_id=TENANT,
                step_id=f"q{n}",
                tool=ToolName.DIRECT_QUERY,
                capability=Capability.DATABASE_QUERY,
                params={"sql": sql},
                reference_time=at,
                row_cap=row_cap,
            )
            try:
                await env.run(tools.direct_query, call)
            except AppError as err:
                blocked.append(f"{err.code}: {sql[:80]}")
                continue
            activity_us = []
            for _ in range(reps):
                began = time.perf_counter()
                await env.run(tools.direct_query, call)
                activity_us.append((time.perf_counter() - began) * 1e6)
            v = statistics.median(time_validator(sql, reps, row_cap))
            a = statistics.median(activity_us)
            shares.append(v / a)
            validator_total += v
            activity_total += a
    if blocked:
        progress(f"validator share: {len(blocked)} benign queries were blocked: {blocked[:3]}")
    return {
        # Typical query: the median over benign queries of each query's share.
        "validator_share": rounded(statistics.median(shares), 4) if shares else None,
        "validator_share_p90": rounded(percentile(shares, 90), 4) if shares else None,
        # All benign queries together: total validator time / total activity time.
        "validator_share_overall": rounded(validator_total / activity_total, 4)
        if activity_total
        else None,
        "direct_query_us_mean": rounded(activity_total / len(shares), 1) if shares else None,
        "validator_share_queries": len(shares),
        "validator_share_blocked": len(blocked),
    }
