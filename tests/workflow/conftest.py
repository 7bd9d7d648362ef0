"""The fast workflow tier: the real workflow on the Temporal dev server, fake activities
registered under the real names, no PostgreSQL. Select it with ``pytest tests/workflow``
(or ``-m workflow``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from opsflow.search_attributes import OPS_ERROR, OPS_QUESTION, OPS_STATUS, TENANT_ID
from opsflow_app.stack.temporal_server import temporal_cli_path


@pytest.fixture(scope="session")
def _dev_server_path() -> Iterator[str]:
    yield temporal_cli_path()


@pytest.fixture(scope="session")
async def workflow_client(_dev_server_path: str) -> AsyncIterator[Client]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=_dev_server_path,
        search_attributes=[TENANT_ID, OPS_STATUS, OPS_ERROR, OPS_QUESTION],
        ui=False,
    )
    try:
        yield env.client
    finally:
        await env.shutdown()
