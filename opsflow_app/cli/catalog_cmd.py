"""``tenants`` and ``cis --tenant T``: what the ops database holds, for choosing what to ask."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from rich.console import Console
from rich.table import Table

from opsflow.settings import Settings
from opsflow.tenant_id import TENANT_ID_PATTERN
from opsflow_app.cli.errors import EXIT_NOT_FOUND, EXIT_UNREACHABLE, CliError

_TENANTS_SQL = """
SELECT t.id, t.name, count(c.id) AS cis,
       count(c.id) FILTER (WHERE c.attributes->>'source' = 'import') AS imported
  FROM tenant t LEFT JOIN ci c ON c.tenant_id = t.id
 GROUP BY t.id, t.name ORDER BY t.id
"""
_CIS_SQL = """
SELECT c.name, c.ci_type, c.environment, c.status,
       (SELECT count(*) FROM ci_relation r
         WHERE r.tenant_id = c.tenant_id AND r.target_id = c.id) AS dependents
  FROM ci c WHERE c.tenant_id = $1 ORDER BY c.ci_type, c.name
"""


@asynccontextmanager
async def _read_only(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    if not settings.db_dsn:
        raise CliError(
            "CONFIG", "OPSFLOW_DB_DSN is not set (paste the export lines `client.py stack` prints)"
        )
    try:
        conn = await asyncpg.connect(settings.db_dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as err:
        raise CliError(
            "DB_UNAVAILABLE", f"cannot reach the ops database: {err}", EXIT_UNREACHABLE
        ) from err
    try:
        async with conn.transaction(readonly=True):
            yield conn
    except asyncpg.UndefinedTableError as err:
        raise CliError("DB_NOT_MIGRATED", "no schema yet: run `client.py seed`") from err
    finally:
        await conn.close()


def _fold(table: Table) -> None:
    for column in table.columns:
        column.overflow = "fold"  # names wrap, never cut


async def run_tenants(args: argparse.Namespace, settings: Settings) -> int:
    async with _read_only(settings) as conn:
        rows = [dict(r) for r in await conn.fetch(_TENANTS_SQL)]
    if args.json:
        print(json.dumps(rows))
        return 0
    table = Table("tenant", "name", "CIs", "imported CIs")
    _fold(table)
    for row in rows:
        table.add_row(row["id"], row["name"], str(row["cis"]), str(row["imported"]))
    Console().print(table)
    return 0


async def run_cis(args: argparse.Namespace, settings: Settings) -> int:
    if not re.fullmatch(TENANT_ID_PATTERN, args.tenant):
        raise CliError(
            "VALIDATION_ERROR", f"tenant id {args.tenant!r} must match {TENANT_ID_PATTERN}"
        )
    async with _read_only(settings) as conn:
        known = await conn.fetchval("SELECT 1 FROM tenant WHERE id = $1", args.tenant)
        if not known:
            raise CliError(
                "UNKNOWN_TENANT",
                f"no tenant {args.tenant!r} (see `client.py tenants`)",
                EXIT_NOT_FOUND,
            )
        rows = [dict(r) for r in await conn.fetch(_CIS_SQL, args.tenant)]
    if args.json:
        print(json.dumps(rows))
        return 0
    table = Table("name", "type", "environment", "status", "dependents", title=args.tenant)
    _fold(table)
    for row in rows:
        table.add_row(
            row["name"], row["ci_type"], row["environment"], row["status"], str(row["dependents"])
        )
    Console().print(table)
    return 0
