"""Connecting to Temporal the same way from the client, the worker and the tests."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.runtime import Runtime

from opsflow.codec import data_converter
from opsflow.settings import Settings


async def connect(
    settings: Settings, *, address: str | None = None, runtime: Runtime | None = None
) -> Client:
    target = address or settings.temporal_address
    if not target:
        raise ConnectionError("TEMPORAL_ADDRESS is not set (run `python client.py stack`)")
    return await Client.connect(
        target,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
    )
