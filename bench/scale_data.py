"""The scale section's data: the extra-large tier built in SQL, and the database's CPU.

The extra-large tier is the small seed with its history repeated further back in time
(``INSERT ... SELECT`` over ``generate_series``, no Python per row) to at least 30 M
samples: the questions, their reference time and every row inside their windows stay
exactly those of the small seed, so any change in cost from small to extra-large is the
table's size and nothing else.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from bench.common import progress

XLARGE_MIN_SAMPLES = 30_000_000

# One copy of the history per k, shifted back by k spans (hi - lo) and a gap. The last
# instant is left out of the copies: shifted by one span it would land on the first instant
# of the one after. The gap keeps every copy out of every window the questions read (the
# seed's own span plus the planner's 7 h, at most a day for events), so the questions read
# the same rows as on the seed alone.
GAP = timedelta(days=7)
_EXTEND_SQL = """
INSERT INTO metric_sample (tenant_id, ci_id, metric, ts, value)
SELECT s.tenant_id, s.ci_id, s.metric, s.ts - $4::interval - k * $2::interval, s.value
  FROM generate_series(1, $1::int) AS k, metric_sample s
 WHERE s.ts < $3
"""


# The table's indexes and the constraints behind them, to drop before the bulk insert and
# build again after it: one sorted build per index is minutes faster than 30 M index
# insertions (12 min against about 3 for the 36 M-row table on 2 busy cores).
_INDEXES_SQL = """
SELECT pg_get_indexdef(i.indexrelid) AS indexdef, i.indexrelid::regclass::text AS index,
       c.conname, pg_get_constraintdef(c.oid) AS condef
  FROM pg_index i
  LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
 WHERE i.indrelid = 'metric_sample'::regclass
"""


def dsn_for_database(dsn: str, name: str) -> str:
    """``dsn`` (a URL) naming database ``name`` instead: same server, user and options."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"


async def create_database(dsn: str, name: str) -> str:
    """A new, empty database ``name`` beside ``dsn``'s (dropped first if it is there), as
    ``createdb`` makes the stack's own; returns its DSN. The schema comes from the
    migrations, applied by the seeding and again by each worker, as for the stack."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return dsn_for_database(dsn, name)


async def drop_database(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass(frozen=True)
class TableSize:
    samples: int
    table_mb: float
    indexes_mb: float


async def table_size(conn: asyncpg.Connection) -> TableSize:
    """Rows of ``metric_sample`` (counted: ANALYZE's estimate put 30.01 M rows at 29.99 M)
    and its heap and index sizes."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM metric_sample) AS samples,"
        " pg_relation_size(c.oid) / 1048576.0 AS table_mb,"
        " pg_indexes_size(c.oid) / 1048576.0 AS indexes_mb"
        " FROM pg_class c WHERE c.oid = 'metric_sample'::regclass"
    )
    assert row is not None
    return TableSize(int(row["samples"]), float(row["table_mb"]), float(row["indexes_mb"]))


async def extend_history(dsn: str, min_samples: int = XLARGE_MIN_SAMPLES) -> dict[str, float]:
    """Repeat the seeded history back in time until ``metric_sample`` holds at least
    ``min_samples`` rows; already that large: nothing is written (reused)."""
    conn = await asyncpg.connect(dsn)
    try:
        before = await table_size(conn)
        if before.samples >= min_samples:
            progress(f"scale: {before.samples} samples already there, reused")
            return {"extend_seconds": 0.0, "copies": 0}
        bounds = await conn.fetchrow("SELECT min(ts) AS lo, max(ts) AS hi FROM metric_sample")
        assert bounds is not None
        lo, hi = bounds["lo"], bounds["hi"]
        per_copy = int(await conn.fetchval("SELECT count(*) FROM metric_sample WHERE ts < $1", hi))
        copies = math.ceil((min_samples - before.samples) / max(1, per_copy))
        progress(f"scale: {copies} shifted copies of {per_copy} samples")
        began = time.perf_counter()
        async with conn.transaction():
            # Rolled back together: a failure leaves the large seed and its indexes as they were.
            indexes = await conn.fetch(_INDEXES_SQL)
            for ix in indexes:
                if ix["conname"]:
                    name = ix["conname"]
                    await conn.execute(f'ALTER TABLE metric_sample DROP CONSTRAINT "{name}"')
                else:
                    await conn.execute(f"DROP INDEX {ix['index']}")
            await conn.execute(_EXTEND_SQL, copies, hi - lo, hi, GAP)
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for ix in indexes:
                if ix["conname"]:
                    await conn.execute(
                        f'ALTER TABLE metric_sample ADD CONSTRAINT "{ix["conname"]}" {ix["condef"]}'
                    )
                else:
                    await conn.execute(ix["indexdef"])
        # A bulk load leaves the visibility map empty: the caller settles the table (VACUUM)
        # before measuring, or every index-only scan would visit the heap.
        return {"extend_seconds": round(time.perf_counter() - began, 1), "copies": copies}
    finally:
        await conn.close()


async def settle(dsn: str, tables: str = "metric_sample, metric_rollup, event") -> bool:
    """Every tier is measured in steady state: vacuumed (the visibility map set) and, when
    this user may, checkpointed, so the flush of a bulk load's dirty pages does not run
    beside the questions. Returns whether it checkpointed."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"VACUUM (ANALYZE) {tables}")
        may = await conn.fetchval(
            "SELECT rolsuper OR pg_has_role(current_user, 'pg_checkpoint', 'MEMBER')"
            " FROM pg_roles WHERE rolname = current_user"
        )
        if may:
            await conn.execute("CHECKPOINT")
        return bool(may)
    finally:
        await conn.close()


# Server processes doing upkeep, not the questions' work (io workers read for backends).
_UPKEEP = ("checkpointer", "background writer", "walwriter", "autovacuum")
IO_WORKERS = "io_workers"
UPKEEP = "upkeep"
OTHER = "other"
# Roles that serve every database of the cluster alike.
SHARED_ROLES = (IO_WORKERS, OTHER, UPKEEP)


def process_role(title: str) -> str:
    """What a PostgreSQL server process does, from its title: ``database:NAME`` for a client
    backend ("postgres: USER NAME HOST(PORT) STATE"), else io workers, upkeep or other (the
    postmaster, the launchers). Io workers read for every database's backends alike."""
    if any(name in title for name in _UPKEEP):
        return UPKEEP
    if "io worker" in title:
        return IO_WORKERS
    words = title.removeprefix("postgres: ").split()
    if len(words) >= 3 and (words[2] == "[local]" or words[2].endswith(")")):
        return f"database:{words[1]}"
    return OTHER


class DatabaseCpu:
    """CPU seconds of the PostgreSQL server's processes when the server runs on this
    machine (None otherwise: a remote server's CPU is not ours to read), by role (see
    ``process_role``): the questions' work is their database's backends and the io
    workers; checkpoints, WAL and autovacuum are upkeep. Backends that exit between two
    readings take their CPU with them; the worker's pool keeps its connections, so the
    tools' queries are counted."""

    def __init__(self, postmaster: psutil.Process | None) -> None:
        self._postmaster = postmaster

    @classmethod
    def of_pid(cls, pid: int | None) -> DatabaseCpu:
        """The postmaster this bench started (None: the server was named in the environment)."""
        if pid is None:
            return cls(None)
        try:
            return cls(psutil.Process(pid))
        except psutil.NoSuchProcess:
            return cls(None)

    @classmethod
    async def find(cls, dsn: str) -> DatabaseCpu:
        conn = await asyncpg.connect(dsn)
        try:
            # Looked up while the backend lives: it exits with the connection.
            backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
            try:
                parent = psutil.Process(backend).parent()
                # The same pid on this machine may be anything when the server is remote.
                local = parent is not None and "postgres" in parent.name()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                return cls(None)
        finally:
            await conn.close()
        return cls(parent if local else None)

    def by_role(self) -> dict[str, float] | None:
        """CPU seconds so far per role."""
        if self._postmaster is None:
            return None
        out: dict[str, float] = {}
        for proc in [self._postmaster, *self._postmaster.children()]:
            try:
                times = proc.cpu_times()
                title = " ".join(proc.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            role = OTHER if proc is self._postmaster else process_role(title)
            out[role] = out.get(role, 0.0) + times.user + times.system
        return out

    def seconds(self) -> tuple[float, float] | None:
        """(work, upkeep) CPU seconds so far."""
        roles = self.by_role()
        if roles is None:
            return None
        upkeep = roles.get(UPKEEP, 0.0)
        return sum(roles.values()) - upkeep, upkeep


def db_ms_per_question(
    before: dict[str, float] | None, after: dict[str, float] | None, roles: list[str], n: int
) -> float | None:
    """CPU ms per question the ``roles`` (see ``DatabaseCpu.by_role``) spent between two
    readings; None when the server's CPU could not be read."""
    if before is None or after is None or n == 0:
        return None
    spent = sum(after.get(r, 0.0) - before.get(r, 0.0) for r in roles)
    return round(spent * 1000 / n, 1)


async def claims(dsn: str) -> int:
    """Claim-check rows: a tool result over the history budget is stored once."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM tool_result_claim"))
    finally:
        await conn.close()
