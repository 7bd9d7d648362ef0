"""One asyncpg pool per worker process."""

from __future__ import annotations

import json

import asyncpg

# Array types a query may return. asyncpg learns a non-builtin type by introspecting the
# catalogs the first time a result carries it, with functions the tool role may not
# execute (opsflow/db/function_acl.py): learned here, as the pool's owner, once per
# connection, they are never introspected under the tool role.
PRELOADED_TYPES: tuple[str, ...] = (
    "float8[]", "float4[]", "numeric[]", "int2[]", "int4[]", "int8[]", "text[]",
    "varchar[]", "bpchar[]", "bool[]", "jsonb[]", "json[]", "date[]", "time[]",
    "timetz[]", "timestamp[]", "timestamptz[]", "interval[]", "uuid[]", "record[]",
)  # fmt: skip
_PRELOAD_SQL = "SELECT " + ", ".join(f"NULL::{name}" for name in PRELOADED_TYPES)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.fetchrow(_PRELOAD_SQL)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's reset query (``RESET ALL; UNLISTEN *; CLOSE ALL;
    pg_advisory_unlock_all()``), one more round trip for every tool call.

    Before this runs asyncpg has rolled back any transaction left open, and nothing in a
    session outlives its transaction: tool sessions set their tenant, role and limits with
    ``SET LOCAL`` (``set_config(..., true)``); the tool role may not call ``set_config``
    or the advisory-lock functions (function ACL), LLM SQL is one validated SELECT through
    ``fetch()``, and the owner's own uses (stats, claims, context) set nothing.
    tests/integration/sql/test_pool_reset.py checks that a released connection comes
    back as the owner, with no tenant, at the default limits.
    """
    return None


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
    )
    assert pool is not None
    return pool
