"""Tenant sessions: how every tool touches the ops database.

A read-only transaction, the non-owner role (so row-level security applies), the tenant
in ``app.tenant_id``, a statement timeout, and always a rollback. Queries go through
``fetch()`` (extended protocol: one statement only), never ``execute()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import asyncpg
import structlog

TOOL_ROLE = "opsflow_tool"
log = structlog.get_logger(__name__)


@asynccontextmanager
async def tenant_session(
    pool: asyncpg.Pool,
    tenant_id: str,
    *,
    statement_timeout_ms: int,
    readonly: bool = True,
    commit: bool = False,
) -> AsyncIterator[asyncpg.Connection]:
    """``commit=True`` only for the claim store; every read path rolls back."""
    async with pool.acquire() as conn:
        tx = conn.transaction(readonly=readonly)
        await tx.start()
        committed = False
        try:
            # set_config before the role switch: the tool role may not call it (revoked).
            await conn.fetch(
                "SELECT set_config('app.tenant_id', $1, true),"
                " set_config('statement_timeout', $2, true)",
                tenant_id,
                str(int(statement_timeout_ms)),
            )
            await conn.fetch(f"SET LOCAL ROLE {TOOL_ROLE}")
            # The pool's proxy forwards every Connection method.
            yield cast(asyncpg.Connection, conn)
            if commit:
                await tx.commit()
                committed = True
        finally:
            if not committed:
                try:
                    await tx.rollback()
                except (asyncpg.InterfaceError, asyncpg.PostgresError) as err:
                    # The statement died under us (cancelled or timed out mid-flight): the
                    # pool resets or discards this connection on release, and the error
                    # that matters is the one already propagating, not this one.
                    log.warning("tenant_session_rollback_failed", error=str(err))
