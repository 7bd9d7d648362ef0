"""``import_telemetry``: validated CSVs into the ops database, atomically and idempotently.

Everything happens in one transaction: COPY into temp staging tables, then
``INSERT ... SELECT ... ON CONFLICT`` into the real tables, so a second import of the same
files writes nothing new and a failure leaves nothing half-loaded. CI names map to the
tenant's existing CIs (a seeded tenant keeps its ids); new names get
``ci-`` + sha1(name)[:12].
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from opsflow.errors import UnknownTenantError, ValidationError
from opsflow.tenant_id import TENANT_ID_PATTERN, is_tenant_id
from opsflow_app.importer.parse import ParsedTelemetry, parse_files

log = structlog.get_logger(__name__)

_BUCKET = "date_bin('5 minutes', {col}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


@dataclass(frozen=True)
class ImportStats:
    tenant_id: str
    rows_read: int
    cis_created: int
    cis_retyped: int
    relations_written: int
    samples_written: int  # new or changed values; 0 on an identical re-import
    samples_unchanged: int
    gaps_skipped: int  # empty or NaN values
    duplicate_samples: int  # same (ci, metric, ts) twice in the file: the last one won
    events_written: int
    rollups_written: int
    ts_min: datetime | None
    ts_max: datetime | None
    seconds: float
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("ts_min", "ts_max"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def ci_id_for(name: str) -> str:
    return "ci-" + hashlib.sha1(name.encode()).hexdigest()[:12]


def event_id_for(ts: datetime, ci: str | None, kind: str, message: str) -> str:
    # Microseconds since the epoch: "1700000000" and its ISO spelling give the same id.
    micros = round(ts.timestamp() * 1_000_000)
    key = f"{micros}|{ci or ''}|{kind}|{message}"
    return "ev-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def _count(status: str) -> int:
    # "INSERT 0 12", "UPDATE 3", "DELETE 4"
    return int(status.rsplit(" ", 1)[-1])


async def _stage(
    conn: asyncpg.Connection, name: str, columns: str, records: list[tuple[Any, ...]]
) -> None:
    await conn.execute(f"DROP TABLE IF EXISTS {name}")
    await conn.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
    if records:
        await conn.copy_records_to_table(name, records=records)


async def refresh_topology_snapshot(conn: asyncpg.Connection, tenant_id: str) -> None:
    """Replace the tenant's snapshot with its current ci_relation, in the seed's format
    (same keys; sorted by code point like Python, hence COLLATE "C")."""
    await conn.execute("DELETE FROM topology_snapshot WHERE tenant_id = $1", tenant_id)
    await conn.execute(
        "INSERT INTO topology_snapshot (tenant_id, taken_at, edges)"
        " SELECT $1, now(), COALESCE(jsonb_agg(jsonb_build_object("
        "  'source', a.name, 'target', b.name, 'relation', r.relation,"
        "  'source_id', r.source_id, 'target_id', r.target_id,"
        "  'source_type', a.ci_type, 'target_type', b.ci_type)"
        '  ORDER BY a.name COLLATE "C", b.name COLLATE "C", r.relation COLLATE "C"),'
        "  '[]'::jsonb)"
        " FROM ci_relation r"
        " JOIN ci a ON a.tenant_id = r.tenant_id AND a.id = r.source_id"
        " JOIN ci b ON b.tenant_id = r.tenant_id AND b.id = r.target_id"
        " WHERE r.tenant_id = $1",
        tenant_id,
    )


async def _ensure_tenant(conn: asyncpg.Connection, tenant_id: str, create: bool) -> None:
    if create:
        await conn.execute(
            "INSERT INTO tenant (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING", tenant_id
        )
    elif not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM tenant WHERE id = $1)", tenant_id):
        raise UnknownTenantError(f"tenant {tenant_id!r} does not exist (create_tenant=False)")


async def _upsert_cis(
    conn: asyncpg.Connection, tenant_id: str, parsed: ParsedTelemetry
) -> tuple[int, int]:
    await _stage(
        conn,
        "imp_ci",
        "id text, name text, ci_type text, explicit boolean",
        [(ci_id_for(n), n, t or "service", t is not None) for n, t in parsed.cis.items()],
    )
    created = _count(
        await conn.execute(
            "INSERT INTO ci (tenant_id, id, name, ci_type, attributes)"
            ' SELECT $1, id, name, ci_type, \'{"source": "import"}\'::jsonb FROM imp_ci'
            " ON CONFLICT DO NOTHING",
            tenant_id,
        )
    )
    # Only cis.csv may change the type of a CI that already exists.
    retyped = _count(
        await conn.execute(
            "UPDATE ci SET ci_type = s.ci_type, updated_at = now() FROM imp_ci s"
            " WHERE ci.tenant_id = $1 AND ci.name = s.name AND s.explicit"
            " AND ci.ci_type <> s.ci_type",
            tenant_id,
        )
    )
    unresolved = await conn.fetch(
        "SELECT s.name FROM imp_ci s LEFT JOIN ci c ON c.tenant_id = $1 AND c.name = s.name"
        " WHERE c.id IS NULL LIMIT 5",
        tenant_id,
    )
    if unresolved:
        # Only possible if a derived id is already taken by another name.
        names = ", ".join(r["name"] for r in unresolved)
        raise ValidationError(f"CI id conflict for {names}", code="IMPORT_CI_CONFLICT")
    return created, retyped


async def _load(
    conn: asyncpg.Connection, tenant_id: str, parsed: ParsedTelemetry
) -> dict[str, int]:
    n: dict[str, int] = {}
    n["cis_created"], n["cis_retyped"] = await _upsert_cis(conn, tenant_id, parsed)
    join_ci = "JOIN ci c ON c.tenant_id = $1 AND c.name = s.{col}"

    await _stage(
        conn, "imp_rel", "source text, target text, relation text", sorted(parsed.relations)
    )
    n["relations_written"] = _count(
        await conn.execute(
            "INSERT INTO ci_relation (tenant_id, source_id, target_id, relation)"
            " SELECT $1, a.id, b.id, s.relation FROM imp_rel s"
            " JOIN ci a ON a.tenant_id = $1 AND a.name = s.source"
            " JOIN ci b ON b.tenant_id = $1 AND b.name = s.target"
            " ON CONFLICT DO NOTHING",
            tenant_id,
        )
    )

    await _stage(
        conn,
        "imp_metric",
        "ci text, metric text, ts timestamptz, value float8",
        [(ci, metric, ts, v) for (ci, metric, ts), v in parsed.samples.items()],
    )
    n["samples_written"] = _count(
        await conn.execute(
            "INSERT INTO metric_sample (tenant_id, ci_id, metric, ts, value)"
            " SELECT $1, c.id, s.metric, s.ts, s.value FROM imp_metric s"
            f" {join_ci.format(col='ci')}"
            " ON CONFLICT (tenant_id, ci_id, metric, ts) DO UPDATE SET value = EXCLUDED.value"
            " WHERE metric_sample.value IS DISTINCT FROM EXCLUDED.value",
            tenant_id,
        )
    )

    events = {
        event_id_for(ts, ci, kind, msg): (ci, ts, kind, sev, msg)
        for ts, ci, kind, sev, msg in parsed.events
    }
    await _stage(
        conn,
        "imp_event",
        "id text, ci text, ts timestamptz, kind text, severity text, message text",
        [(eid, *row) for eid, row in sorted(events.items())],
    )
    n["events_written"] = _count(
        await conn.execute(
            "INSERT INTO event (tenant_id, id, ci_id, ts, kind, severity, message)"
            " SELECT $1, s.id, c.id, s.ts, s.kind, s.severity, s.message FROM imp_event s"
            " LEFT JOIN ci c ON c.tenant_id = $1 AND c.name = s.ci"
            " ON CONFLICT (tenant_id, id) DO UPDATE SET severity = EXCLUDED.severity"
            " WHERE event.severity IS DISTINCT FROM EXCLUDED.severity",
            tenant_id,
        )
    )

    # Rollups: recompute exactly the 5-minute buckets the import touched, from every
    # sample now in them (older samples in those buckets included).
    await _stage(conn, "imp_touched", "ci_id text, metric text, bucket timestamptz", [])
    await conn.execute(
        "INSERT INTO imp_touched (ci_id, metric, bucket)"
        f" SELECT DISTINCT c.id, s.metric, {_BUCKET.format(col='s.ts')}"
        f" FROM imp_metric s {join_ci.format(col='ci')}",
        tenant_id,
    )
    await conn.execute(
        "DELETE FROM metric_rollup r USING imp_touched t WHERE r.tenant_id = $1"
        " AND r.ci_id = t.ci_id AND r.metric = t.metric AND r.bucket = t.bucket",
        tenant_id,
    )
    n["rollups_written"] = _count(
        await conn.execute(
            "INSERT INTO metric_rollup (tenant_id, ci_id, metric, bucket, avg, min, max, count)"
            " SELECT $1, m.ci_id, m.metric, t.bucket, avg(m.value), min(m.value), max(m.value),"
            " count(*) FROM imp_touched t JOIN metric_sample m ON m.tenant_id = $1"
            " AND m.ci_id = t.ci_id AND m.metric = t.metric"
            " AND m.ts >= t.bucket AND m.ts < t.bucket + interval '5 minutes'"
            " GROUP BY m.ci_id, m.metric, t.bucket",
            tenant_id,
        )
    )
    await refresh_topology_snapshot(conn, tenant_id)
    return n


async def import_telemetry(
    conn: asyncpg.Connection,
    tenant_id: str,
    *,
    metrics: Path | None = None,
    graph: Path | None = None,
    events: Path | None = None,
    cis: Path | None = None,
    create_tenant: bool = True,
) -> ImportStats:
    """Validate every file completely, then load all of it in one transaction.

    Raises ValidationError(IMPORT_BAD_ROW) naming the file and line of each bad row
    (nothing is written), UnknownTenantError when the tenant is missing and
    ``create_tenant`` is False.
    """
    if not is_tenant_id(tenant_id):
        raise ValidationError(f"tenant id {tenant_id!r} must match {TENANT_ID_PATTERN}")
    if metrics is None and graph is None and events is None and cis is None:
        raise ValidationError("nothing to import: give --metrics, --cis, --graph or --events")
    started = time.perf_counter()
    # File reading and parsing are blocking: keep the event loop free.
    parsed = await asyncio.to_thread(parse_files, metrics, graph, events, cis)
    async with conn.transaction():
        await _ensure_tenant(conn, tenant_id, create_tenant)
        counts = await _load(conn, tenant_id, parsed)
    stamps = [ts for (_, _, ts) in parsed.samples]
    stats = ImportStats(
        tenant_id=tenant_id,
        rows_read=parsed.rows_read,
        samples_unchanged=len(parsed.samples) - counts["samples_written"],
        gaps_skipped=parsed.gaps_skipped,
        duplicate_samples=parsed.duplicate_samples,
        ts_min=min(stamps, default=None),
        ts_max=max(stamps, default=None),
        seconds=time.perf_counter() - started,
        ignored_columns=parsed.ignored_columns,
        **counts,
    )
    log.info(
        "telemetry_imported",
        tenant_id=tenant_id,
        rows_read=stats.rows_read,
        samples_written=stats.samples_written,
        seconds=round(stats.seconds, 3),
    )
    return stats
