"""Session fixtures: the embedded Temporal dev server and PostgreSQL, started by the
project's own stack code on free ports in a temporary directory, migrated and seeded.

Set OPSFLOW_TEST_USE_ENV=1 with TEMPORAL_ADDRESS and OPSFLOW_DB_DSN to use real servers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsflow.settings import Settings
from opsflow.stack import EmbeddedStack, StackEndpoints
from opsflow.stack._procs import free_port

# Every seeded tenant's data ends here; tests ask "at" this instant, never the wall clock.
SEED_END = datetime.now(UTC).replace(second=0, microsecond=0)
SEED = 7


@pytest.fixture(scope="session")
def stack() -> Iterator[EmbeddedStack]:
    # Not tmp_path_factory: a concurrent pytest run may prune its numbered directories.
    data_dir = Path(tempfile.mkdtemp(prefix="opsflow-test-stack-"))
    base = Settings(OPSFLOW_ENV="test")
    if os.environ.get("OPSFLOW_TEST_USE_ENV") != "1":
        base = base.model_copy(update={"temporal_address": None, "db_dsn": None})
    stack = EmbeddedStack(
        base,
        data_dir=data_dir,
        temporal_port=free_port(),
        ui_port=free_port(),
        pg_port=free_port(),
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def endpoints(stack: EmbeddedStack) -> StackEndpoints:
    return stack.endpoints


@pytest.fixture(scope="session")
async def seeded(endpoints: StackEndpoints) -> datetime:
    from opsflow.cli.stack_cmd import prepare_database

    await prepare_database(endpoints.db_dsn, reseed=True, end=SEED_END)
    return SEED_END


@pytest.fixture(scope="session")
def settings(endpoints: StackEndpoints) -> Settings:
    return Settings(OPSFLOW_ENV="test").model_copy(
        update={
            "temporal_address": endpoints.temporal_address,
            "db_dsn": endpoints.db_dsn,
            "temporal_ui_url": endpoints.ui_url,
            "openai_api_key": None,
            "openai_base_url": None,
            "codec_keys": None,
        }
    )


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
