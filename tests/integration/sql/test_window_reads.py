"""The metric tool's window read is served by the covering primary key alone (an index-only
scan: no heap page, no sequential scan), row-level security still applies to it, and claims
(stored as text since 0006) read back as stored."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from activities.claims import ClaimCache, load_claim, store_claim
from activities.telemetry_tools import _RAW_SQL
from opsflow.db.pool import create_pool
from opsflow.db.session import tenant_session
from opsflow.errors import ToolExecutionError
from opsflow.models import MetricSeries, ToolOutput
from opsflow.names import ToolName
from opsflow.settings import Settings

pytestmark = pytest.mark.integration

TENANT = "t_acme"


@pytest.fixture(scope="module")
async def pool(settings: Settings, seeded: datetime):  # type: ignore[no-untyped-def]
    pool = await create_pool(settings.db_dsn or "", min_size=1, max_size=2)
    async with pool.acquire() as conn:
        # As after any bulk load in steady state: the visibility map is what lets an
        # index-only scan skip the heap.
        await conn.execute("VACUUM (ANALYZE) metric_sample")
    yield pool
    await pool.close()


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out += _nodes(child)
    return out


async def _window_args(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, tenant: str, seeded: datetime
) -> list[Any]:
    ids = [
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM ci WHERE tenant_id = $1 AND ci_type = 'service' ORDER BY name LIMIT 8",
            tenant,
        )
    ]
    assert len(ids) == 8
    start = seeded - timedelta(hours=7)
    return [tenant, ids, start, seeded, timedelta(minutes=1), []]


async def test_metric_window_read_is_an_index_only_scan(
    pool: asyncpg.Pool, seeded: datetime
) -> None:
    async with pool.acquire() as owner:
        args = await _window_args(owner, TENANT, seeded)
    async with tenant_session(pool, TENANT, statement_timeout_ms=10_000) as conn:
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + _RAW_SQL, *args)
    nodes = _nodes(json.loads(rows[0][0])[0]["Plan"])
    samples = [n for n in nodes if n.get("Relation Name") == "metric_sample"]
    assert samples, "the plan reads no metric_sample"
    assert [n["Node Type"] for n in samples] == ["Index Only Scan"], samples
    assert samples[0]["Index Name"] == "metric_sample_pkey"
    assert samples[0]["Actual Rows"] > 0
    assert samples[0]["Heap Fetches"] == 0


async def test_covering_read_still_sees_only_the_sessions_tenant(
    pool: asyncpg.Pool, seeded: datetime
) -> None:
    async with pool.acquire() as owner:
        theirs = await _window_args(owner, "t_globex", seeded)
        visible_to_owner = await owner.fetch(_RAW_SQL, *theirs)
    assert visible_to_owner, "t_globex has samples in the window"
    # t_acme's session asking for t_globex's CIs by t_globex's tenant id: RLS returns none.
    async with tenant_session(pool, TENANT, statement_timeout_ms=10_000) as conn:
        assert await conn.fetch(_RAW_SQL, *theirs) == []


async def test_a_claim_reads_back_from_the_database_as_stored(pool: asyncpg.Pool) -> None:
    """Claims are stored as JSON text (0006): a worker without the claim in its cache (a
    retry elsewhere, a restart) reads back exactly what was stored, only under its tenant."""
    output = ToolOutput(
        tool=ToolName.METRIC_QUERY,
        step_id="series",
        series=[
            MetricSeries(ci="checkout-api", metric="cpu", epoch_s=[0.0, 60.0], values=[1.5, 2.25])
        ],
        note='ü and "quotes" survive',
    )
    claim_id = await store_claim(pool, ClaimCache(), TENANT, output)
    assert await load_claim(pool, ClaimCache(), TENANT, claim_id) == output
    with pytest.raises(ToolExecutionError, match="not found"):
        await load_claim(pool, ClaimCache(), "t_globex", claim_id)
