"""Session fixtures: the embedded Temporal dev server and PostgreSQL, started by the
project's own stack code on free ports in a temporary directory, migrated and seeded.

Set OPSFLOW_TEST_USE_ENV=1 with TEMPORAL_ADDRESS and OPSFLOW_DB_DSN to use real servers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from opsflow.settings import Settings
from opsflow_app.stack import EmbeddedStack, StackEndpoints
from tests.support.stack import embedded_stack, settings_for

# Every seeded tenant's data ends here; tests ask "at" this instant, never the wall clock.
SEED_END = datetime.now(UTC).replace(second=0, microsecond=0)
SEED = 7


@pytest.fixture(scope="session")
def stack() -> Iterator[EmbeddedStack]:
    with embedded_stack("test-stack", use_env=os.environ.get("OPSFLOW_TEST_USE_ENV") == "1") as s:
        yield s


@pytest.fixture(scope="session")
def endpoints(stack: EmbeddedStack) -> StackEndpoints:
    return stack.endpoints


@pytest.fixture(scope="session")
async def seeded(endpoints: StackEndpoints) -> datetime:
    from opsflow_app.cli.stack_cmd import prepare_database

    await prepare_database(endpoints.db_dsn, reseed=True, end=SEED_END)
    return SEED_END


@pytest.fixture(scope="session")
def settings(endpoints: StackEndpoints) -> Settings:
    return settings_for(endpoints)


@pytest.fixture(scope="session")
async def temporal_client(settings: Settings):  # type: ignore[no-untyped-def]
    from opsflow.temporal_client import connect

    return await connect(settings)


@pytest.fixture(scope="session")
async def worker_settings(
    temporal_client,
    settings: Settings,
    seeded: datetime,  # type: ignore[no-untyped-def]
) -> AsyncIterator[Settings]:
    """One shared worker for tests that do not change worker configuration."""
    from tests.support.harness import running_worker

    async with running_worker(temporal_client, settings) as custom:
        yield custom


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The Temporal SDK's Rust threads can call into Python while the interpreter shuts down
    # and abort it (temporalio/sdk-python#300), turning a green run into exit 134. Every
    # report has been written by now: leave with pytest's own status.
    if _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
