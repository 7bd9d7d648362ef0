"""Chaos fixtures: a private embedded stack per test module.

Chaos tests stop PostgreSQL, kill the Temporal dev server and SIGKILL workers, so they
never touch the session stack other tests share: each module gets its own Temporal dev
server (SQLite file, so history survives a restart) and PostgreSQL on free ports in a
fresh temporary directory, migrated and seeded exactly like the session stack.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from temporalio.client import Client

from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.stack import EmbeddedPostgres, EmbeddedStack, StackEndpoints, TemporalDevServer
from tests.conftest import SEED_END
from tests.support.stack import embedded_stack, settings_for


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
    # Never the servers of the environment: these get stopped and killed.
    with embedded_stack("chaos-stack", ui=False) as stack:
        yield stack


@pytest.fixture(scope="module")
async def chaos(chaos_stack_servers: EmbeddedStack) -> ChaosStack:
    from opsflow_app.cli.stack_cmd import prepare_database

    endpoints = chaos_stack_servers.endpoints
    await asyncio.wait_for(
        prepare_database(endpoints.db_dsn, reseed=True, end=SEED_END), timeout=120
    )
    settings = settings_for(endpoints, task_queue=new_task_queue())
    return ChaosStack(chaos_stack_servers, endpoints, settings, SEED_END)


@pytest.fixture(scope="module")
async def chaos_client(chaos: ChaosStack) -> Client:
    return await asyncio.wait_for(connect(chaos.settings), timeout=30)
