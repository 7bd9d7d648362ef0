"""Worker start-up contracts: a required LLM must be reachable; prod fails closed."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from opsflow.settings import Settings
from opsflow_app.stack._procs import free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


async def _run_worker(env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "worker.py",
        cwd=REPO,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode()


async def test_required_llm_that_is_unreachable_stops_the_worker(settings: Settings) -> None:
    code, out = await _run_worker(
        {
            "TEMPORAL_ADDRESS": settings.temporal_address or "",
            "OPSFLOW_DB_DSN": settings.db_dsn or "",
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
            "OPSFLOW_LLM_REQUIRED": "true",
            "OPSFLOW_TASK_QUEUE": "never-used",
        }
    )
    assert code != 0
    assert "LLM required but unreachable" in out.splitlines()[-1]


async def test_missing_database_dsn_is_a_one_line_error(settings: Settings) -> None:
    code, out = await _run_worker(
        {"TEMPORAL_ADDRESS": settings.temporal_address or "", "OPSFLOW_DB_DSN": ""}
    )
    assert code != 0
    assert "OPSFLOW_DB_DSN is not set" in out.splitlines()[-1]


@pytest.fixture
async def broken_database(settings: Settings):  # type: ignore[no-untyped-def]
    """A database where migration 0001 cannot apply (a conflicting ``tenant`` table)."""
    import uuid

    import asyncpg

    name = f"broken_{uuid.uuid4().hex[:8]}"
    admin_dsn = (settings.db_dsn or "").rsplit("/", 1)[0] + "/postgres"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    conn = await asyncpg.connect(admin_dsn.rsplit("/", 1)[0] + f"/{name}")
    await conn.execute("CREATE TABLE tenant (id integer)")
    await conn.close()
    yield admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.close()


async def test_failed_migration_fails_closed_in_prod(
    settings: Settings, broken_database: str
) -> None:
    code, out = await _run_worker(
        {
            "TEMPORAL_ADDRESS": settings.temporal_address or "",
            "OPSFLOW_DB_DSN": broken_database,
            "OPSFLOW_ENV": "prod",
        }
    )
    assert code != 0
    assert "migration failed, worker not started" in out.splitlines()[-1]
    assert "0001_schema.sql" in out.splitlines()[-1]


async def test_failed_migration_is_a_loud_warning_outside_prod(broken_database: str) -> None:
    from opsflow.db.migrate import MigrationError, migrate_with_policy

    assert await migrate_with_policy(broken_database, prod=False) == []
    with pytest.raises(MigrationError):
        await migrate_with_policy(broken_database, prod=True)
