"""Tenant sources in the ops database, always through a tenant session (RLS applies)."""

from __future__ import annotations

import asyncpg

from opsflow.db.session import tenant_session
from opsflow.errors import UnknownTenantError
from opsflow.sources.model import TenantSources

_TIMEOUT_MS = 5000


async def load_sources(conn: asyncpg.Connection) -> TenantSources:
    """The sources of the tenant whose session ``conn`` is (none configured: empty)."""
    rows = await conn.fetch(
        "SELECT kind, config FROM tenant_source WHERE tenant_id = (SELECT opsflow_tenant())"
    )
    # The pool decodes jsonb to Python objects (opsflow.db.pool).
    return TenantSources.model_validate({r["kind"]: r["config"] for r in rows})


async def read_sources(pool: asyncpg.Pool, tenant_id: str) -> TenantSources:
    """For the operator: an unknown tenant is an error, not an empty answer."""
    async with tenant_session(pool, tenant_id, statement_timeout_ms=_TIMEOUT_MS) as conn:
        await _require_tenant(conn, tenant_id)
        return await load_sources(conn)


async def save_sources(pool: asyncpg.Pool, tenant_id: str, sources: TenantSources) -> None:
    """Replace the tenant's sources with ``sources`` (kinds it leaves out are removed)."""
    async with tenant_session(
        pool, tenant_id, statement_timeout_ms=_TIMEOUT_MS, readonly=False, commit=True
    ) as conn:
        await _require_tenant(conn, tenant_id)
        await conn.fetch("DELETE FROM tenant_source WHERE tenant_id = $1", tenant_id)
        if sources.prometheus is not None:
            await conn.fetch(
                "INSERT INTO tenant_source (tenant_id, kind, config) VALUES ($1, $2, $3)",
                tenant_id,
                "prometheus",
                sources.prometheus.model_dump(mode="json"),
            )


async def remove_sources(pool: asyncpg.Pool, tenant_id: str) -> int:
    async with tenant_session(
        pool, tenant_id, statement_timeout_ms=_TIMEOUT_MS, readonly=False, commit=True
    ) as conn:
        await _require_tenant(conn, tenant_id)
        rows = await conn.fetch(
            "DELETE FROM tenant_source WHERE tenant_id = $1 RETURNING kind", tenant_id
        )
    return len(rows)


async def _require_tenant(conn: asyncpg.Connection, tenant_id: str) -> None:
    if await conn.fetchval("SELECT 1 FROM tenant WHERE id = $1", tenant_id) is None:
        raise UnknownTenantError(f"no tenant {tenant_id!r}")
