"""What one tenant's hostile SQL costs, itself and another tenant (issue 15's figures).

    python -m bench.sql_abuse [--dsn DSN] [--seconds 20] [--attackers 12]

Prints one JSON object on stdout (progress on stderr). Without ``--dsn`` an embedded
PostgreSQL is started in a temporary directory, migrated and seeded (small seed).

The worker side runs in this process, as a worker would: one pool of 10 connections,
the per-tenant gates of opsflow/db/session.py, every query through the real
``direct_query`` activity (validation, tenant session, row guard, byte cap). For each
attack, ``--attackers`` concurrent calls of tenant t_acme repeat it for ``--seconds``
(each re-issued when it ends, at most every 0.5 s, Temporal's first retry interval),
while two loops of tenant t_globex run the benign corpus back to back. Reported per attack:

- ``attacker``: outcomes by error type, the worst call time (s);
- ``victim``: t_globex's p50/p95 (ms), its baseline alone measured right before, and
  ``p95_ratio`` (the issue's bar: at most 2);
- memory: this process's peak RSS (the worker) and the peak anonymous RSS summed over
  PostgreSQL's processes (the database), both as growth over the scenario's start;
- ``temp_mb``: temporary files PostgreSQL wrote during the scenario.

On a shared machine every figure moves with the load (``loadavg`` is reported).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.direct_query import QueryTools
from activities.resources import WorkerResources
from bench.common import percentile, progress, rounded
from opsflow.db.pool import create_pool
from opsflow.db.session import SessionLimits, configure_session_limits
from opsflow.logging_setup import configure_logging
from opsflow.models import ToolCall
from opsflow.names import Capability, ToolName
from opsflow.policies import load_policies
from opsflow.settings import Settings
from opsflow.sql import validate_sql

CORPORA = Path(__file__).resolve().parents[1] / "tests" / "corpora"
ATTACKER, VICTIM = "t_acme", "t_globex"
RETRY_INTERVAL_S = 0.5

ATTACKS: dict[str, str] = {
    # Refused by the validator (before any connection): the red team's shapes.
    "advisory_lock": "SELECT g.pg_advisory_xact_lock FROM generate_series(42, 42) AS g",
    "lpad_10mb": "SELECT lpad('x', 10000000, 'y') FROM ci WHERE tenant_id = 't_acme'",
    "series_1e10": "SELECT count(*) FROM generate_series(1, 1e10) AS g",
    "string_doubling": (
        "WITH RECURSIVE r(s, n) AS (SELECT 'x', 1 UNION ALL SELECT s || s, n + 1 FROM r"
        " WHERE n < 40) SELECT n, length(s) AS len FROM r"
    ),
    # Accepted by the validator: the database bounds them.
    "cpu_cross_join": (
        "SELECT count(*) AS n FROM generate_series(1, 100000) AS a(g),"
        " generate_series(1, 100000) AS b(h) WHERE a.g % 7 = b.h % 11"
    ),
    "temp_file_sort": (
        "SELECT count(DISTINCT a.g * 100000 + b.h) AS n FROM"
        " generate_series(1, 100000) AS a(g), generate_series(1, 100000) AS b(h)"
    ),
    "row_doubling": (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r,"
        " (VALUES (1), (2)) AS v(x) WHERE r.n < 60) SELECT count(*) AS c FROM r"
    ),
    "wide_rows": "SELECT "
    + ", ".join(f"lpad(name, 10000, '{c}') AS c{c}" for c in "abcdefg")
    + " FROM ci WHERE tenant_id = 't_acme'",
    "result_bytes": (
        "SELECT lpad(m.metric, 9000, 'x') AS a, lpad(m.ci_id, 9000, 'y') AS b"
        " FROM metric_sample m WHERE m.tenant_id = 't_acme'"
    ),
}


class Sampler:
    """Peak RSS of this process and peak anonymous RSS summed over PostgreSQL processes."""

    def __init__(self, pg_pids: list[int]) -> None:
        self._pg_pids = pg_pids
        self._stop = threading.Event()
        self.worker_peak = self.pg_peak = 0
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _field(pid: int | str, name: str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return 0  # the process ended between listing and reading
        return 0

    def sample(self) -> tuple[int, int]:
        worker = self._field("self", "VmRSS")
        database = sum(self._field(pid, "RssAnon") for pid in self._pg_pids)
        return worker, database

    def _loop(self) -> None:
        while not self._stop.is_set():
            worker, database = self.sample()
            self.worker_peak = max(self.worker_peak, worker)
            self.pg_peak = max(self.pg_peak, database)
            self._stop.wait(0.05)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _postgres_pids(data_dir: str) -> list[int]:
    """The postmaster of `data_dir` and its children (raises OSError if not readable)."""
    postmaster = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
            pids.append(int(entry.name))
    return pids


def _call(tenant: str, sql: str) -> ToolCall:
    return ToolCall(
        tenant_id=tenant,
        step_id="q",
        tool=ToolName.DIRECT_QUERY,
        capability=Capability.DATABASE_QUERY,
        params={"sql": sql},
        reference_time=datetime.now(UTC),
        row_cap=1000,
    )


async def _run_one(tools: QueryTools, tenant: str, sql: str) -> tuple[str, float]:
    """One call, cut at the policy's start-to-close as Temporal would cut the activity."""
    began = time.monotonic()
    limit = tools.res.policy(ToolName.DIRECT_QUERY).start_to_close_s
    try:
        await asyncio.wait_for(
            ActivityEnvironment().run(tools.direct_query, _call(tenant, sql)), limit
        )
        outcome = "ok"
    except ApplicationError as err:
        outcome = err.type or "error"
    except TimeoutError:
        outcome = "start_to_close"  # mostly waiting for the tenant's SQL gate
    return outcome, time.monotonic() - began


async def _victim(tools: QueryTools, queries: list[str], until: float) -> list[float]:
    latencies: list[float] = []
    index = 0
    while time.monotonic() < until:
        outcome, seconds = await _run_one(tools, VICTIM, queries[index % len(queries)])
        if outcome != "ok":
            raise RuntimeError(f"benign query failed for {VICTIM}: {outcome}")
        latencies.append(seconds * 1000)
        index += 1
    return latencies


async def _attacker(tools: QueryTools, sql: str, until: float) -> list[tuple[str, float]]:
    results = []
    while time.monotonic() < until:
        outcome, seconds = await _run_one(tools, ATTACKER, sql)
        results.append((outcome, seconds))
        # No faster than Temporal's first retry (0.5 s): a refused call ends its activity
        # at once, and a tight loop here would measure this process's event loop only.
        await asyncio.sleep(max(0.0, RETRY_INTERVAL_S - seconds))
    return results


async def _temp_bytes(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval(
        "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(value or 0)


async def scenario(
    tools: QueryTools,
    owner: asyncpg.Connection,
    victims: list[str],
    sql: str | None,
    seconds: float,
    attackers: int,
    pg_pids: list[int],
) -> dict[str, Any]:
    await owner.execute("SELECT pg_stat_clear_snapshot()")
    temp_before = await _temp_bytes(owner)
    until = time.monotonic() + seconds
    with Sampler(pg_pids) as sampler:
        worker_start, pg_start = sampler.sample()
        victim_tasks = [asyncio.create_task(_victim(tools, victims, until)) for _ in range(2)]
        attack_tasks = (
            [asyncio.create_task(_attacker(tools, sql, until)) for _ in range(attackers)]
            if sql is not None
            else []
        )
        victim_runs = await asyncio.gather(*victim_tasks)
        attack_runs = await asyncio.gather(*attack_tasks)
    await asyncio.sleep(0.6)  # statistics are flushed to shared memory about every 0.5 s
    await owner.execute("SELECT pg_stat_clear_snapshot()")
    temp_after = await _temp_bytes(owner)
    latencies = [ms for run in victim_runs for ms in run]
    calls = [result for run in attack_runs for result in run]
    report: dict[str, Any] = {
        "victim": {
            "queries": len(latencies),
            "p50_ms": rounded(percentile(latencies, 50), 1),
            "p95_ms": rounded(percentile(latencies, 95), 1),
        },
        "worker_rss_growth_mb": rounded((sampler.worker_peak - worker_start) / 2**20, 1),
        "db_anon_rss_growth_mb": rounded((sampler.pg_peak - pg_start) / 2**20, 1),
        "temp_mb": rounded((temp_after - temp_before) / 2**20, 1),
    }
    if sql is not None:
        report["validator_accepts"] = validate_sql(sql, ATTACKER).valid
        report["attacker"] = {
            "calls": len(calls),
            "outcomes": dict(Counter(outcome for outcome, _ in calls)),
            "worst_s": rounded(max((s for _, s in calls), default=0.0), 2),
        }
    return report


@contextmanager
def _database(dsn: str | None) -> Iterator[str]:
    """The given server's DSN, or an embedded server's, migrated and seeded."""
    if dsn:
        yield dsn
        return
    from opsflow_app.cli.stack_cmd import prepare_database
    from opsflow_app.stack._procs import free_port
    from opsflow_app.stack.postgres_server import EmbeddedPostgres

    data_dir = Path(tempfile.mkdtemp(prefix="opsflow-bench-abuse-"))
    server = EmbeddedPostgres(data_dir, port=free_port())
    server.start()
    try:
        progress("sql_abuse: seeding the embedded database")
        asyncio.run(prepare_database(server.dsn, reseed=True))
        yield server.dsn
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def measure(dsn: str, seconds: float, attackers: int, only: list[str]) -> dict[str, Any]:
    settings = Settings(db_dsn=dsn)
    configure_session_limits(SessionLimits.from_settings(settings))  # as worker.py does
    pool = await create_pool(dsn, min_size=10, max_size=10)
    owner = await asyncpg.connect(dsn)
    try:
        data_dir = await owner.fetchval("SHOW data_directory")
        try:
            pg_pids = _postgres_pids(data_dir)
        except OSError:
            pg_pids = []  # a server on another host: database memory is not measured
            progress("sql_abuse: the database's processes are not readable here")
        tools = QueryTools(WorkerResources(pool=pool, settings=settings, policies=load_policies()))
        benign = (CORPORA / "sql_benign.txt").read_text().splitlines()
        victims = [line.replace(ATTACKER, VICTIM) for line in benign if line.strip()]
        results: dict[str, Any] = {}
        for name, sql in ATTACKS.items():
            if only and name not in only:
                continue
            # A baseline right before each attack: on a shared machine the load drifts
            # within minutes, and a ratio against one early baseline measures the drift.
            progress(
                f"sql_abuse: {name}: baseline, then {attackers} attackers, {seconds:.0f} s each"
            )
            baseline = await scenario(tools, owner, victims, None, seconds, attackers, pg_pids)
            report = await scenario(tools, owner, victims, sql, seconds, attackers, pg_pids)
            base_p95 = baseline["victim"]["p95_ms"] or 0.0
            report["victim"]["baseline_p50_ms"] = baseline["victim"]["p50_ms"]
            report["victim"]["baseline_p95_ms"] = base_p95
            report["victim"]["p95_ratio"] = rounded(
                (report["victim"]["p95_ms"] or 0.0) / base_p95 if base_p95 else 0.0, 2
            )
            results[name] = report
    finally:
        await owner.close()
        await pool.close()
    return {"attacks": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_abuse", description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("OPSFLOW_DB_DSN"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--attackers", type=int, default=12)
    parser.add_argument("--only", nargs="*", default=[], choices=sorted(ATTACKS))
    args = parser.parse_args(argv)
    configure_logging("ERROR")  # on stderr: stdout carries the JSON only
    load_before = os.getloadavg()
    with _database(args.dsn) as dsn:
        figures = asyncio.run(measure(dsn, args.seconds, args.attackers, args.only))
    figures["seconds_per_scenario"] = args.seconds
    figures["attackers"] = args.attackers
    figures["loadavg"] = {"start": load_before, "end": os.getloadavg()}
    figures["cores"] = os.cpu_count()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
