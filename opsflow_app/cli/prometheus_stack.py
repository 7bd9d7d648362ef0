"""``stack --prometheus``: a Prometheus server on the embedded data, and the seeded
tenants' sources pointing at it, so the live metric path can be tried in one command."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg

from opsflow.db.pool import create_pool
from opsflow.sources.store import save_sources
from opsflow_app.seed.model import METRICS, TENANTS
from opsflow_app.seed.openmetrics import Sample, seed_sources, write_openmetrics
from opsflow_app.stack._procs import free_port, port_open
from opsflow_app.stack.prometheus_server import PrometheusServer

DEFAULT_PORT = 9090


async def _samples(conn: asyncpg.Connection, tenants: Sequence[str]) -> AsyncIterator[Sample]:
    async with conn.transaction():
        query = (
            "SELECT m.tenant_id, c.name, m.metric, m.ts, m.value FROM metric_sample m"
            " JOIN ci c ON c.tenant_id = m.tenant_id AND c.id = m.ci_id"
            " WHERE m.tenant_id = ANY($1::text[])"
        )
        async for r in conn.cursor(query, list(tenants), prefetch=10_000):
            yield (r["tenant_id"], r["name"], r["metric"], r["ts"], r["value"])


async def _read_samples(dsn: str, tenants: Sequence[str]) -> list[Sample]:
    conn = await asyncpg.connect(dsn)
    try:
        return [s async for s in _samples(conn, tenants)]
    finally:
        await conn.close()


def export_openmetrics(dsn: str, path: Path, tenants: Sequence[str]) -> dict[str, set[str]]:
    """The tenants' samples in the ops database, as OpenMetrics text; returns the metrics
    each tenant has (each gets a template)."""
    samples = asyncio.run(_read_samples(dsn, tenants))
    with path.open("w", encoding="utf-8") as out:
        write_openmetrics(samples, out)
    metrics: dict[str, set[str]] = {t: set() for t in tenants}
    for tenant, _, metric, _, _ in samples:
        metrics[tenant].add(metric)
    return metrics


async def _write_sources(dsn: str, url: str, metrics: dict[str, set[str]]) -> None:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        for tenant, names in metrics.items():
            await save_sources(pool, tenant, seed_sources(url, tenant, sorted(names or METRICS)))
    finally:
        await pool.close()


def start_live_metrics(
    dsn: str, data_dir: Path, tenants: Sequence[str] = tuple(TENANTS)
) -> PrometheusServer:
    """Backfill a fresh TSDB from the ops database, start the server, set the sources."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    openmetrics = data_dir / "seed.om"
    metrics = export_openmetrics(dsn, openmetrics, tenants)
    port = DEFAULT_PORT if not port_open("127.0.0.1", DEFAULT_PORT) else free_port()
    server = PrometheusServer(data_dir, port=port)
    server.backfill(openmetrics)
    openmetrics.unlink()
    server.start()
    try:
        asyncio.run(_write_sources(dsn, server.url, metrics))
    except BaseException:
        server.stop()
        raise
    return server
