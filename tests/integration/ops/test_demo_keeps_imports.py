"""``demo`` re-seeds its tenants but not one holding CIs that ``import`` loaded (re-seeding
deletes a tenant's rows): the detection it relies on."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from opsflow.settings import Settings
from opsflow_app.cli.demo import tenants_with_imports
from opsflow_app.importer import import_telemetry

pytestmark = pytest.mark.integration

TENANT = "t_demo_keeps"


async def test_imported_tenant_is_kept_by_a_reseed(
    settings: Settings, seeded: datetime, tmp_path: Path
) -> None:
    dsn = settings.db_dsn or ""
    metrics = tmp_path / "m.csv"
    metrics.write_text(f"ts,ci,metric,value\n{int(seeded.timestamp())},kept-web-1,cpu,10\n")
    conn = await asyncpg.connect(dsn)
    try:
        await import_telemetry(conn, TENANT, metrics=metrics)
    finally:
        await conn.close()
    kept = await tenants_with_imports(dsn)
    # demo re-seeds TENANTS minus these: the seeded ones stay in, the imported one is out.
    assert TENANT in kept
    assert "t_acme" not in kept and "t_globex" not in kept
