"""Loading generated tenants into the ops database with COPY, one transaction per tenant.

jsonb columns go through text staging tables and a ``::jsonb`` cast: the caller's
connection may or may not have the pool's jsonb codec installed, and a text column reads
a ``str`` the same way in both cases.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from opsflow.db.migrate import migrate
from opsflow_app.seed.generator import generate_tenant
from opsflow_app.seed.model import TENANTS, Incident, SeedSize, TenantDataset

log = structlog.get_logger(__name__)

# Children before parents: ci_relation references ci.
_TENANT_TABLES = (
    "ci_relation",
    "metric_rollup",
    "metric_sample",
    "event",
    "topology_snapshot",
    "seed_incident",
    "ci",
)


@dataclass(frozen=True)
class LoadStats:
    tenant_id: str
    cis: int
    relations: int
    samples: int
    rollups: int
    events: int
    incidents: int
    seconds: float
    generate_seconds: float = 0.0

    @property
    def rows(self) -> int:
        return (
            self.cis + self.relations + self.samples + self.rollups + self.events + self.incidents
        )

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {**asdict(self), "rows": self.rows, "rows_per_s": round(self.rows_per_s)}


async def _stage(
    conn: asyncpg.Connection, name: str, columns: str, records: Sequence[tuple[object, ...]]
) -> None:
    # DROP first: a caller's outer transaction keeps ON COMMIT DROP tables alive across calls.
    await conn.execute(f"DROP TABLE IF EXISTS {name}")
    await conn.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
    await conn.copy_records_to_table(name, records=records)


async def delete_tenant_data(conn: asyncpg.Connection, tenant_id: str) -> None:
    for table in _TENANT_TABLES:
        await conn.execute(f"DELETE FROM {table} WHERE tenant_id = $1", tenant_id)


async def load_dataset(
    conn: asyncpg.Connection, ds: TenantDataset, *, replace: bool = True
) -> LoadStats:
    """Load one tenant atomically. ``replace=False`` skips the deletes and expects the
    tenant's rows to be absent (a conflict raises and rolls everything back)."""
    started = time.perf_counter()
    tid = ds.tenant_id
    async with conn.transaction():
        if replace:
            await delete_tenant_data(conn, tid)
        await conn.execute(
            "INSERT INTO tenant (id, name) VALUES ($1, $2)"
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
            tid,
            ds.tenant_name,
        )
        await _stage(
            conn,
            "seed_ci_stage",
            "id text, name text, ci_type text, environment text, status text, attributes text",
            [
                (c.id, c.name, c.ci_type, c.environment, c.status, json.dumps(c.attributes))
                for c in ds.cis
            ],
        )
        await conn.execute(
            "INSERT INTO ci (tenant_id, id, name, ci_type, environment, status, attributes)"
            " SELECT $1, id, name, ci_type, environment, status, attributes::jsonb"
            " FROM seed_ci_stage",
            tid,
        )
        await conn.copy_records_to_table(
            "ci_relation",
            records=[(tid, r.source_id, r.target_id, r.relation) for r in ds.relations],
            columns=["tenant_id", "source_id", "target_id", "relation"],
        )
        await conn.copy_records_to_table(
            "metric_sample",
            records=ds.iter_samples(),
            columns=["tenant_id", "ci_id", "metric", "ts", "value"],
        )
        await conn.copy_records_to_table(
            "metric_rollup",
            records=[
                (tid, r.ci_id, r.metric, r.bucket, r.avg, r.min, r.max, r.count) for r in ds.rollups
            ],
            columns=["tenant_id", "ci_id", "metric", "bucket", "avg", "min", "max", "count"],
        )
        await _stage(
            conn,
            "seed_event_stage",
            "id text, ci_id text, ts timestamptz, kind text, severity text, message text,"
            " payload text",
            [
                (e.id, e.ci_id, e.ts, e.kind, e.severity, e.message, json.dumps(e.payload))
                for e in ds.events
            ],
        )
        await conn.execute(
            "INSERT INTO event (tenant_id, id, ci_id, ts, kind, severity, message, payload)"
            " SELECT $1, id, ci_id, ts, kind, severity, message, payload::jsonb"
            " FROM seed_event_stage",
            tid,
        )
        await _stage(
            conn,
            "seed_incident_stage",
            "id text, kind text, root_ci text, affected text, start_ts timestamptz,"
            " end_ts timestamptz, question text",
            [
                (i.id, i.kind, i.root_ci, json.dumps(list(i.affected)), i.start, i.end, i.question)
                for i in ds.incidents
            ],
        )
        await conn.execute(
            "INSERT INTO seed_incident"
            " (tenant_id, id, kind, root_ci, affected, start_ts, end_ts, question)"
            " SELECT $1, id, kind, root_ci, affected::jsonb, start_ts, end_ts, question"
            " FROM seed_incident_stage",
            tid,
        )
        await conn.execute(
            "INSERT INTO topology_snapshot (tenant_id, taken_at, edges)"
            " VALUES ($1, $2, $3::text::jsonb)",
            tid,
            ds.end,
            json.dumps(ds.topology_edges),
        )
    seconds = time.perf_counter() - started
    stats = LoadStats(
        tenant_id=tid,
        cis=len(ds.cis),
        relations=len(ds.relations),
        samples=ds.sample_count,
        rollups=len(ds.rollups),
        events=len(ds.events),
        incidents=len(ds.incidents),
        seconds=seconds,
    )
    log.info("seed_tenant_loaded", tenant_id=tid, rows=stats.rows, seconds=round(seconds, 3))
    return stats


def default_end() -> datetime:
    """The demo's reference instant: now, rounded down to the minute."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


async def seed_all(
    dsn_or_conn: str | asyncpg.Connection,
    *,
    tenants: Sequence[str] = tuple(TENANTS),
    seed: int = 7,
    size: str | SeedSize = "small",
    end: datetime | None = None,
    migrate_schema: bool = True,
) -> dict[str, LoadStats]:
    """Generate and load each tenant (replacing its rows); returns stats per tenant.
    ``migrate_schema`` applies pending migrations first (idempotent, advisory-locked)."""
    end = end or default_end()
    own = isinstance(dsn_or_conn, str)
    conn = await asyncpg.connect(dsn_or_conn) if isinstance(dsn_or_conn, str) else dsn_or_conn
    try:
        if migrate_schema:
            await migrate(conn)
        out: dict[str, LoadStats] = {}
        for tenant_id in tenants:
            t0 = time.perf_counter()
            ds = generate_tenant(tenant_id, seed=seed, size=size, end=end)
            gen_s = time.perf_counter() - t0
            stats = await load_dataset(conn, ds, replace=True)
            out[tenant_id] = LoadStats(**{**asdict(stats), "generate_seconds": gen_s})
        # Fresh statistics: the tools query right after seeding, before autovacuum would.
        await conn.execute("ANALYZE ci, ci_relation, metric_sample, metric_rollup, event")
        return out
    finally:
        if own:
            await conn.close()


async def database_is_empty(conn: asyncpg.Connection) -> bool:
    """True when no tenant exists (an unmigrated database counts as empty)."""
    if await conn.fetchval("SELECT to_regclass('public.tenant') IS NULL"):
        return True
    return bool(await conn.fetchval("SELECT NOT EXISTS (SELECT 1 FROM tenant)"))


async def read_incidents(conn: asyncpg.Connection, tenant_id: str) -> list[Incident]:
    rows = await conn.fetch(
        "SELECT id, kind, root_ci, affected::text AS affected, start_ts, end_ts, question"
        " FROM seed_incident WHERE tenant_id = $1 ORDER BY start_ts, id",
        tenant_id,
    )
    return [
        Incident(
            id=r["id"],
            kind=r["kind"],
            root_ci=r["root_ci"],
            affected=tuple(json.loads(r["affected"])),
            start=r["start_ts"],
            end=r["end_ts"],
            question=r["question"],
        )
        for r in rows
    ]
