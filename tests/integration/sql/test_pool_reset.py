"""The pool skips asyncpg's reset query: a released connection must still carry nothing of
the tenant session it served (tenant, role, limits), even when that session failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import pytest

from opsflow.db.pool import create_pool
from opsflow.db.session import TOOL_ROLE, tenant_session
from opsflow.settings import Settings

pytestmark = pytest.mark.integration
STATE = (
    "SELECT current_user AS role, current_setting('app.tenant_id', true) AS tenant,"
    " current_setting('statement_timeout') AS timeout, current_setting('work_mem') AS mem,"
    " pg_catalog.txid_current_if_assigned() IS NULL AS no_tx"
)


async def _state(conn: Any) -> dict[str, object]:
    """As the pool's owner (the tool role may not call current_setting)."""
    row = await conn.fetchrow(STATE)
    assert row is not None
    # Once a session has set app.tenant_id, the setting exists and is '' outside it (as
    # after RESET ALL): no tenant either way, and row-level security shows no row.
    return {**dict(row), "tenant": row["tenant"] or None}


async def test_a_released_connection_carries_nothing_of_its_tenant_session(
    settings: Settings, seeded: datetime
) -> None:
    pool = await create_pool(settings.db_dsn or "", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            fresh = await _state(conn)
        assert fresh["role"] != TOOL_ROLE and not fresh["tenant"]
        async with tenant_session(pool, "t_acme", statement_timeout_ms=1234) as conn:
            role = await conn.fetchval("SELECT current_user")
            timeout = await conn.fetchval("SHOW statement_timeout")
            tenant = await conn.fetchval("SHOW app.tenant_id")
        assert (role, timeout, tenant) == (TOOL_ROLE, "1234ms", "t_acme")
        # One connection in the pool: this is the same one, back as it was.
        async with pool.acquire() as conn:
            assert await _state(conn) == fresh
        with pytest.raises(asyncpg.PostgresError):
            async with tenant_session(pool, "t_globex", statement_timeout_ms=1000) as conn:
                await conn.fetch("SELECT 1/0")
        async with pool.acquire() as conn:
            assert await _state(conn) == fresh
    finally:
        await pool.close()
