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


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=60
    )
    assert pool is not None
    return pool
