"""Connecting to Temporal the same way from the client, the worker and the tests."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.runtime import Runtime

from opsflow.codec import data_converter
from opsflow.settings import Settings

CONNECT_TIMEOUT_S = 10.0


async def connect(
    settings: Settings, *, address: str | None = None, runtime: Runtime | None = None
) -> Client:
    target = address or settings.temporal_address
    if not target:
        raise ConnectionError("TEMPORAL_ADDRESS is not set (run `python client.py stack`)")
    try:
        # A server that accepts TCP but never answers would otherwise hang ~30 s.
        return await asyncio.wait_for(
            Client.connect(
                target,
                namespace=settings.temporal_namespace,
                data_converter=data_converter(settings),
                runtime=runtime,
            ),
            timeout=CONNECT_TIMEOUT_S,
        )
    except TimeoutError as err:
        raise ConnectionError(
            f"no answer from Temporal at {target} in {CONNECT_TIMEOUT_S}s"
        ) from err
