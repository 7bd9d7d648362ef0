"""Real faults for integration and chaos tests: table locks held by another session,
servers stopped and killed. Nothing here raises inside the code under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def table_locked(dsn: str, *tables: str) -> AsyncIterator[None]:
    """Hold ACCESS EXCLUSIVE locks: every query on these tables waits until release."""
    conn = await asyncpg.connect(dsn)
    tx = conn.transaction()
    await tx.start()
    try:
        for table in tables:
            await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        await tx.rollback()
        await conn.close()


async def active_queries(dsn: str, fragment: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT query FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1"
            " AND pid <> pg_backend_pid()",
            f"%{fragment}%",
        )
    finally:
        await conn.close()
    return [r["query"] for r in rows]
