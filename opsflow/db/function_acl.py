"""EXECUTE for the tool role: exactly the validator's function allowlist, nothing else.

PostgreSQL grants EXECUTE on every function to PUBLIC, so the tool role could call any
function a query smuggles past the validator: ones that run SQL text (`ts_stat`,
`query_to_xml`), take locks (`pg_advisory_lock`), read settings (`current_setting`) or
report sizes and statistics across tenants (`pg_relation_size`, `pg_stat_*`). After every
migration `sync_function_acl` revokes EXECUTE from PUBLIC on every function outside the
allowlist and grants it to the tool role on every function inside it.

The allowlist is generated from the validator's own tables (opsflow/sql/_policy.py), so
the two cannot drift:
- the PostgreSQL names behind each allowed sqlglot node (FUNCTION_NODES) and each allowed
  unknown-to-sqlglot function (ALLOWED_ANONYMOUS_FUNCTIONS), plus INTERNAL_FUNCTIONS
  (the tools' own SQL, implicit calls behind syntax, our helpers);
- the functions that implement operators (`=`, `->`, `||`...): the validator decides
  which operators a query may use, and PostgreSQL checks EXECUTE on them too; likewise
  the operator classes' support functions (a hashed `= ANY(array)` calls `hashtext`);
- the functions behind casts to the types the validator allows (ALLOWED_TYPES), and
  those types' text input and output functions (a cast through text, `$1::text::jsonb`,
  calls them, and PostgreSQL checks EXECUTE there too).

The migration user must be a superuser (it already had to be, to revoke in 0002): only
the owner of a pg_catalog function may change its grants. A superuser is never
restricted, so the worker's own session set-up is unaffected; another non-superuser
role in the ops database would lose EXECUTE too, which is why the ops database is
OpsFlow's alone.
"""

from __future__ import annotations

from typing import Final

import asyncpg
import structlog

from opsflow.db.session import TOOL_ROLE
from opsflow.sql._policy import (
    ALLOWED_ANONYMOUS_FUNCTIONS,
    FUNCTION_NODES,
    INTERNAL_FUNCTIONS,
)

log = structlog.get_logger(__name__)

# `all` is parsed as a function (x = ALL(array)) but is syntax, not a call.
_SYNTAX_ONLY: Final = frozenset({"all"})

# Cast targets the validator allows (ALLOWED_TYPES), as PostgreSQL type names.
CAST_TARGETS: Final = (
    "int2", "int4", "int8", "numeric", "float4", "float8", "text", "varchar", "bpchar",
    "bool", "uuid", "json", "jsonb", "date", "time", "timetz", "timestamp", "timestamptz",
    "interval",
)  # fmt: skip


def allowed_function_names() -> frozenset[str]:
    """Every function name the tool role may execute, from the validator's tables."""
    names = {name for names in FUNCTION_NODES.values() for name in names}
    names |= ALLOWED_ANONYMOUS_FUNCTIONS - _SYNTAX_ONLY
    names |= INTERNAL_FUNCTIONS
    return frozenset(names)


# oid of every function the tool role may execute: named ones in pg_catalog or public
# (our helpers), operator implementations and support functions, text I/O of the allowed
# types and casts into them (arrays of them included). $1: names, $2: type names.
ALLOWED_OIDS_SQL: Final = """
SELECT p.oid FROM pg_catalog.pg_proc p
 WHERE p.proname = ANY($1::text[])
   AND p.pronamespace IN ('pg_catalog'::regnamespace, 'public'::regnamespace)
UNION
SELECT o.oprcode::oid FROM pg_catalog.pg_operator o WHERE o.oprcode <> 0
UNION
SELECT a.amproc::oid FROM pg_catalog.pg_amproc a
UNION
SELECT f FROM pg_catalog.pg_type t,
       LATERAL (VALUES (t.typinput::oid), (t.typoutput::oid)) AS io(f)
 WHERE f <> 0
   AND (t.typname = ANY($2::text[])
        OR t.typelem IN (SELECT oid FROM pg_catalog.pg_type WHERE typname = ANY($2::text[])))
UNION
SELECT c.castfunc FROM pg_catalog.pg_cast c
  JOIN pg_catalog.pg_type t ON t.oid = c.casttarget
 WHERE c.castfunc <> 0
   AND (t.typname = ANY($2::text[])
        OR t.typelem IN (SELECT oid FROM pg_catalog.pg_type WHERE typname = ANY($2::text[])))
"""

# Functions whose grants are wrong in either direction, as text for GRANT/REVOKE.
_DRIFT_SQL: Final = f"""
WITH allowed AS ({ALLOWED_OIDS_SQL})
SELECT p.oid::regprocedure::text AS signature,
       p.oid IN (SELECT oid FROM allowed) AS allowed
  FROM pg_catalog.pg_proc p
 WHERE (p.oid IN (SELECT oid FROM allowed))
       <> pg_catalog.has_function_privilege($3, p.oid, 'EXECUTE')
"""


async def sync_function_acl(conn: asyncpg.Connection) -> tuple[int, int]:
    """Make EXECUTE for the tool role equal to the allowlist; returns (granted, revoked)."""
    rows = await conn.fetch(
        _DRIFT_SQL, sorted(allowed_function_names()), list(CAST_TARGETS), TOOL_ROLE
    )
    statements = []
    granted = revoked = 0
    for row in rows:
        if row["allowed"]:
            statements.append(f"GRANT EXECUTE ON ROUTINE {row['signature']} TO {TOOL_ROLE};")
            granted += 1
        else:
            # From PUBLIC (the default grant) and from the role itself, if ever granted.
            statements.append(
                f"REVOKE EXECUTE ON ROUTINE {row['signature']} FROM PUBLIC, {TOOL_ROLE};"
            )
            revoked += 1
    if statements:
        async with conn.transaction():
            await conn.execute("\n".join(statements))
        log.info("function_acl_synced", granted=granted, revoked=revoked)
    return granted, revoked
