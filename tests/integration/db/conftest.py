"""A real embedded PostgreSQL for the ops-database tests in this folder (self-contained).

One server per session; ``pg_dsn`` is a migrated database shared by the session;
``fresh_dsn`` clones a migrated template into a new database per test, so tests that
count rows or need an empty database do not see each other's data.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from opsflow.db.migrate import migrate
from opsflow_app.stack._procs import free_port
from opsflow_app.stack.postgres_server import EmbeddedPostgres

TEMPLATE_DB = "opsflow_test_template"


def dsn_for(server: EmbeddedPostgres, database: str) -> str:
    return server.dsn.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    # Not tmp_path_factory: a concurrent pytest run may prune its numbered directories.
    data_dir = Path(tempfile.mkdtemp(prefix="opsflow-test-db-"))
    server = EmbeddedPostgres(data_dir, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def pg_template(pg_server: EmbeddedPostgres) -> str:
    admin = await asyncpg.connect(dsn_for(pg_server, "postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(dsn_for(pg_server, TEMPLATE_DB))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


@pytest.fixture(scope="session")
async def pg_dsn(pg_server: EmbeddedPostgres) -> str:
    conn = await asyncpg.connect(pg_server.dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return pg_server.dsn


@pytest.fixture
async def fresh_dsn(pg_server: EmbeddedPostgres, pg_template: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn_for(pg_server, "postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
        yield dsn_for(pg_server, name)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(fresh_dsn)
    try:
        yield connection
    finally:
        await connection.close()
