"""Plain-SQL migrations applied in order, each in its own transaction, recorded by version.

A failed migration fails closed in prod (the worker must not serve on a schema it does
not understand) and is a loud warning elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg
import structlog

from opsflow.db.function_acl import sync_function_acl

log = structlog.get_logger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Serialises concurrent workers migrating the same database.
_LOCK_KEY = 7_233_001


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


class MigrationError(RuntimeError):
    code = "MIGRATION_FAILED"


def load_migrations() -> list[Migration]:
    folder = resources.files("opsflow.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text()))
    found.sort(key=lambda m: m.version)
    return found


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied. Raises MigrationError."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migration")}
        for migration in load_migrations():
            if migration.version in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
            except asyncpg.PostgresError as err:
                raise MigrationError(f"migration {migration.name} failed: {err}") from err
            applied.append(migration.name)
            log.info("migration_applied", migration=migration.name)
        # Every time, not once: a PostgreSQL upgrade or an extension adds functions, and
        # each new one is executable by PUBLIC until revoked.
        try:
            await sync_function_acl(conn)
        except asyncpg.PostgresError as err:
            raise MigrationError(f"function grants for the tool role failed: {err}") from err
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied


async def migrate_with_policy(dsn: str, *, prod: bool) -> list[str]:
    """Fail closed in prod; elsewhere log loudly and let the worker start."""
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as err:
        raise MigrationError(f"cannot reach the ops database to migrate: {err}") from err
    try:
        return await migrate(conn)
    except MigrationError as err:
        if prod:
            raise
        log.error("migration_failed_continuing", error=str(err), env="non-prod")
        return []
    finally:
        await conn.close()
