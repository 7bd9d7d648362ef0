"""``topology_traverse`` on a CI whose dependencies nobody recorded: an investigation still
reads every CI of the tenant (an unknown topology is not proof that nothing is involved),
while a plain "what does it depend on?" walk stays empty."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from activities.catalog_tools import CatalogTools
from activities.resources import WorkerResources
from opsflow.db.pool import create_pool
from opsflow.models import ToolCall, ToolOutput
from opsflow.policies import load_policies
from opsflow.settings import Settings
from opsflow_app.importer import import_telemetry
from tests.support.tools import run_tool

pytestmark = pytest.mark.integration

T0 = 1_735_732_800  # 2025-01-01T12:00:00Z


async def _import(settings: Settings, tmp: Path, tenant: str, graph: str | None) -> None:
    metrics = tmp / f"{tenant}-metrics.csv"
    metrics.write_text(
        "ts,ci,metric,value\n"
        + "".join(
            f"{T0 + 60 * k},{ci},latency_p95,{100 + k}\n"
            for ci in ("web", "api", "db")
            for k in range(5)
        )
    )
    edges = None
    if graph is not None:
        edges = tmp / f"{tenant}-graph.csv"
        edges.write_text("source,target,relation\n" + graph)
    conn = await asyncpg.connect(settings.db_dsn or "")
    try:
        await import_telemetry(conn, tenant, metrics=metrics, graph=edges)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def tools(settings: Settings, seeded: datetime) -> AsyncIterator[CatalogTools]:
    pool = await create_pool(settings.db_dsn or "", min_size=1, max_size=2)
    yield CatalogTools(WorkerResources(pool=pool, settings=settings, policies=load_policies()))
    await pool.close()


async def _walk(tools: CatalogTools, tenant: str, **params: object) -> ToolOutput:
    call = ToolCall(
        tenant_id=tenant,
        step_id="topology",
        tool="topology_traverse",
        capability="graph_traversal",
        params={"ci": "web", "direction": "upstream", **params},
        reference_time=datetime.fromtimestamp(T0 + 300, UTC),
    )
    out = await run_tool(tools.topology_traverse, call)
    return out


async def test_no_known_dependency_lists_every_ci_for_an_investigation(
    tools: CatalogTools, settings: Settings, tmp_path: Path
) -> None:
    tenant = f"t_topo_{uuid.uuid4().hex[:8]}"
    await _import(settings, tmp_path, tenant, graph=None)
    out = await _walk(tools, tenant, all_if_unknown=True)
    assert sorted(c.name for c in out.cis) == ["api", "db", "web"]
    assert out.edges == [] and "no dependencies of web are known" in (out.note or "")

    plain = await _walk(tools, tenant)
    assert [c.name for c in plain.cis] == ["web"] and plain.edges == []


async def test_a_known_topology_is_walked_as_recorded(
    tools: CatalogTools, settings: Settings, tmp_path: Path
) -> None:
    tenant = f"t_topo_{uuid.uuid4().hex[:8]}"
    await _import(settings, tmp_path, tenant, graph="web,api,depends_on\n")
    out = await _walk(tools, tenant, all_if_unknown=True)
    assert sorted(c.name for c in out.cis) == ["api", "web"]
    assert [(e.source, e.target) for e in out.edges] == [("web", "api")]
