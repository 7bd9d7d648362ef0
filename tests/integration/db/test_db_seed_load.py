"""Seeding a real embedded PostgreSQL: counts, idempotent re-seed, ground truth, snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import asyncpg
import pytest

from opsflow_app.importer import refresh_topology_snapshot
from opsflow_app.seed import (
    TENANTS,
    database_is_empty,
    generate_tenant,
    load_dataset,
    read_incidents,
    seed_all,
)

pytestmark = pytest.mark.integration

END = datetime(2025, 3, 4, 15, 7, tzinfo=UTC)
_TABLES = ("ci", "ci_relation", "metric_sample", "metric_rollup", "event", "seed_incident")


async def counts(conn: asyncpg.Connection, tenant: str) -> dict[str, int]:
    out = {}
    for table in (*_TABLES, "topology_snapshot"):
        out[table] = await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant
        )
    return out


async def test_seed_all_loads_every_tenant_with_matching_counts(
    conn: asyncpg.Connection,
) -> None:
    assert await database_is_empty(conn)
    stats = await seed_all(conn, size="small", seed=7, end=END)
    assert set(stats) == set(TENANTS)
    assert not await database_is_empty(conn)
    for tenant, st in stats.items():
        ds = generate_tenant(tenant, seed=7, size="small", end=END)
        assert await counts(conn, tenant) == {
            "ci": len(ds.cis),
            "ci_relation": len(ds.relations),
            "metric_sample": ds.sample_count,
            "metric_rollup": len(ds.rollups),
            "event": len(ds.events),
            "seed_incident": len(ds.incidents),
            "topology_snapshot": 1,
        }
        assert (st.cis, st.samples, st.rollups, st.events) == (
            len(ds.cis),
            ds.sample_count,
            len(ds.rollups),
            len(ds.events),
        )
        assert st.rows_per_s > 0 and st.generate_seconds > 0
        assert await read_incidents(conn, tenant) == ds.incidents
    names = await conn.fetch(
        "SELECT name FROM ci GROUP BY name HAVING count(DISTINCT tenant_id) > 1"
    )
    assert names == []
    assert await conn.fetchval("SELECT name FROM tenant WHERE id = 't_acme'") == "Acme Corp"


async def test_reseed_is_idempotent(conn: asyncpg.Connection) -> None:
    await seed_all(conn, tenants=("t_acme", "t_globex"), end=END)
    first = {t: await counts(conn, t) for t in ("t_acme", "t_globex")}
    await seed_all(conn, tenants=("t_acme",), end=END)
    assert {t: await counts(conn, t) for t in ("t_acme", "t_globex")} == first
    # A later reference instant replaces the rows instead of adding to them.
    later = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
    await seed_all(conn, tenants=("t_acme",), end=later)
    assert await counts(conn, "t_acme") == first["t_acme"]
    assert (
        await conn.fetchval("SELECT max(ts) FROM metric_sample WHERE tenant_id = 't_acme'") == later
    )


async def test_load_without_replace_conflicts_and_rolls_back(conn: asyncpg.Connection) -> None:
    ds = generate_tenant("t_initech", seed=7, size="small", end=END)
    await load_dataset(conn, ds)
    before = await counts(conn, "t_initech")
    with pytest.raises(asyncpg.UniqueViolationError):
        await load_dataset(conn, ds, replace=False)
    assert await counts(conn, "t_initech") == before


async def test_rollups_agree_with_sql_bucketing(conn: asyncpg.Connection) -> None:
    await load_dataset(conn, generate_tenant("t_globex", seed=2, size="small", end=END))
    mismatches = await conn.fetchval(
        """
        WITH fresh AS (
            SELECT ci_id, metric,
                   date_bin('5 minutes', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
                   avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS n
            FROM metric_sample WHERE tenant_id = 't_globex' GROUP BY 1, 2, 3
        )
        SELECT count(*) FROM fresh f
        FULL JOIN (SELECT * FROM metric_rollup WHERE tenant_id = 't_globex') r
          ON r.ci_id = f.ci_id AND r.metric = f.metric AND r.bucket = f.bucket
        WHERE r.bucket IS NULL OR f.bucket IS NULL OR r.count <> f.n
           OR abs(r.avg - f.avg) > 1e-9 OR r.min <> f.min OR r.max <> f.max
        """
    )
    assert mismatches == 0


async def test_snapshot_matches_the_sql_refresh(conn: asyncpg.Connection) -> None:
    await load_dataset(conn, generate_tenant("t_acme", seed=7, size="small", end=END))
    query = "SELECT edges::text FROM topology_snapshot WHERE tenant_id = 't_acme'"
    seeded = json.loads(await conn.fetchval(query))
    await refresh_topology_snapshot(conn, "t_acme")
    assert json.loads(await conn.fetchval(query)) == seeded


async def test_unmigrated_database_counts_as_empty(
    conn: asyncpg.Connection,
) -> None:
    await conn.execute("DROP TABLE ci_relation, ci, tenant CASCADE")
    assert await database_is_empty(conn)


def test_cli_seeds_one_tenant(fresh_dsn: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "opsflow_app.seed",
            "--dsn",
            fresh_dsn,
            "--tenant",
            "t_globex",
            "--seed",
            "3",
            "--end",
            "2025-03-04T15:07:00+00:00",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    ds = generate_tenant("t_globex", seed=3, size="small", end=END)
    assert report["t_globex"]["samples"] == ds.sample_count
