"""A real Prometheus (Debian's package) backfilled with ``promtool`` from OpenMetrics that
the seed generator and the CSV importer's parser write, for tenants created here only (the
session's seeded tenants keep their PostgreSQL metrics)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from opsflow.db.pool import create_pool
from opsflow.settings import Settings
from opsflow.sources.store import save_sources
from opsflow_app.importer.parse import parse_files
from opsflow_app.seed.generator import generate_tenant
from opsflow_app.seed.loader import load_dataset
from opsflow_app.seed.openmetrics import Sample, dataset_samples, seed_sources, write_openmetrics
from opsflow_app.stack._procs import free_port
from opsflow_app.stack.prometheus_server import PrometheusServer, prometheus_available
from tests.conftest import SEED
from tests.integration.test_import_and_past import _write_telemetry

# The seeded t_acme, its CIs and topology in PostgreSQL, its metrics in Prometheus only.
LIVE = "t_acme_live"
# The same, with its rollups kept in PostgreSQL, for the outage fallback.
DOWN = "t_acme_down"
# The same again, no rollups: a Prometheus that dies mid-question leaves a partial answer.
FLAKY = "t_acme_flaky"
# One CSV telemetry set imported twice: metrics into PostgreSQL / into Prometheus.
TWIN_PG = "t_twin_pg"
TWIN_PROM = "t_twin_prom"
# CIs whose names try to break out of a PromQL string.
INJECT = "t_inject"
HOSTILE = {
    'q"uote': 11.0,
    "br{a}ce}": 22.0,
    "back\\slash\\": 33.0,
    'x"} or opsflow_latency_p95{tenant="t_inject': 44.0,
}
# More CIs of that tenant, without data: with them a step spans two batches of CIs.
PLAIN = [f"plain-{i}" for i in range(6)]


@dataclasses.dataclass(frozen=True)
class Live:
    server: PrometheusServer
    files: Path
    seed_end: datetime


def _hostile_samples(end: datetime) -> list[Sample]:
    stamps = [end.timestamp() - 60 * k for k in range(120)]
    return [
        (INJECT, name, "latency_p95", datetime.fromtimestamp(t, end.tzinfo), value)
        for name, value in HOSTILE.items()
        for t in stamps
    ]


def _write_hostile_cis(path: Path) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "ci_type"])
        writer.writerows([name, "service"] for name in [*HOSTILE, *PLAIN])


@pytest.fixture(scope="session")
def prometheus_files() -> Iterator[Path]:
    if not prometheus_available():
        pytest.skip("Debian's prometheus/promtool are not installed")
    folder = Path(tempfile.mkdtemp(prefix="opsflow-prom-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
async def live(prometheus_files: Path, seeded: datetime, settings: Settings) -> AsyncIterator[Live]:
    """Backfilled server, tenants loaded without their raw metrics, sources stored."""
    assert settings.db_dsn is not None
    csv_dir = prometheus_files / "csv"
    csv_dir.mkdir()
    _write_telemetry(csv_dir)
    _write_hostile_cis(prometheus_files / "hostile_cis.csv")
    acme = generate_tenant("t_acme", seed=SEED, size="small", end=seeded)
    parsed = await asyncio.to_thread(parse_files, csv_dir / "metrics.csv", None, None, None)
    samples: list[Sample] = [(LIVE, *s[1:]) for s in dataset_samples(acme)]
    samples += [(TWIN_PROM, ci, m, ts, v) for (ci, m, ts), v in parsed.samples.items()]
    samples += _hostile_samples(seeded)
    openmetrics = prometheus_files / "telemetry.om"
    with openmetrics.open("w") as out:
        write_openmetrics(samples, out)
    server = PrometheusServer(prometheus_files / "server", port=free_port())
    await asyncio.to_thread(server.backfill, openmetrics)
    await asyncio.to_thread(server.start)
    conn = await asyncpg.connect(settings.db_dsn)
    try:
        # The seed's CIs, topology, events and incidents, but not its raw samples.
        without_raw = dataclasses.replace(acme, tenant_id=LIVE, series=[], rollups=[])
        await load_dataset(conn, without_raw)
        await load_dataset(conn, dataclasses.replace(without_raw, tenant_id=FLAKY))
        await load_dataset(conn, dataclasses.replace(acme, tenant_id=DOWN, series=[]))
    finally:
        await conn.close()
    pool = await create_pool(settings.db_dsn, min_size=1, max_size=1)
    try:
        await save_sources(pool, LIVE, seed_sources(server.url, LIVE))
        dead = f"http://127.0.0.1:{free_port()}"
        await save_sources(pool, DOWN, seed_sources(dead, DOWN))
    finally:
        await pool.close()
    try:
        yield Live(server=server, files=prometheus_files, seed_end=seeded)
    finally:
        server.stop()
