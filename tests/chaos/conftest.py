"""Chaos fixtures: a private embedded stack per test module.

Chaos tests stop PostgreSQL, kill the Temporal dev server and SIGKILL workers, so they
never touch the session stack other tests share: each module gets its own Temporal dev
server (SQLite file, so history survives a restart) and PostgreSQL on free ports in a
fresh temporary directory, migrated and seeded exactly like the session stack.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from temporalio.client import Client

from opsflow.settings import Settings
from opsflow.stack import EmbeddedPostgres, EmbeddedStack, StackEndpoints, TemporalDevServer
from opsflow.stack._procs import free_port
from opsflow.temporal_client import connect
from tests.conftest import SEED_END


@dataclass
class ChaosStack:
    stack: EmbeddedStack
    endpoints: StackEndpoints
    settings: Settings
    seeded: datetime

    @property
    def temporal(self) -> TemporalDevServer:
        assert self.stack.temporal is not None
        return self.stack.temporal

    @property
    def postgres(self) -> EmbeddedPostgres:
        assert self.stack.postgres is not None
        return self.stack.postgres

    def worker_env(self, task_queue: str, **extra: str) -> dict[str, str]:
        """Environment of a ``python worker.py`` subprocess on this stack."""
        return {
            "TEMPORAL_ADDRESS": self.endpoints.temporal_address,
            "OPSFLOW_DB_DSN": self.endpoints.db_dsn,
            "OPSFLOW_TASK_QUEUE": task_queue,
            "OPSFLOW_ENV": "test",
            "OPSFLOW_LOG_LEVEL": "INFO",
            **extra,
        }


def new_task_queue(prefix: str = "chaos") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def chaos_stack_servers() -> Iterator[EmbeddedStack]:
    data_dir = Path(tempfile.mkdtemp(prefix="opsflow-chaos-stack-"))
    # Never the servers of the environment: these get stopped and killed.
    base = Settings(OPSFLOW_ENV="test").model_copy(
        update={"temporal_address": None, "db_dsn": None}
    )
    stack = EmbeddedStack(
        base, data_dir=data_dir, temporal_port=free_port(), ui_port=free_port(),
        pg_port=free_port(), ui=False,
    )
    try:
        stack.start()
        yield stack
    finally:
        # A test may have left a server down or killed: stop what still runs.
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def chaos(chaos_stack_servers: EmbeddedStack) -> ChaosStack:
    from opsflow.cli.stack_cmd import prepare_database

    endpoints = chaos_stack_servers.endpoints
    await asyncio.wait_for(
        prepare_database(endpoints.db_dsn, reseed=True, end=SEED_END), timeout=120
    )
    settings = Settings(OPSFLOW_ENV="test").model_copy(
        update={
            "temporal_address": endpoints.temporal_address,
            "db_dsn": endpoints.db_dsn,
            "temporal_ui_url": endpoints.ui_url,
            "openai_api_key": None,
            "openai_base_url": None,
            "codec_keys": None,
            "task_queue": new_task_queue(),
        }
    )
    return ChaosStack(chaos_stack_servers, endpoints, settings, SEED_END)


@pytest.fixture(scope="module")
async def chaos_client(chaos: ChaosStack) -> Client:
    return await asyncio.wait_for(connect(chaos.settings), timeout=30)
