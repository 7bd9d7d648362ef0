"""Run a tool activity outside a worker and read its result as the workflow does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment

from opsflow.models import ToolCall, ToolOutput


async def run_tool(
    tool: Callable[[ToolCall], Awaitable[RawValue]],
    call: ToolCall,
    env: ActivityEnvironment | None = None,
) -> ToolOutput:
    """``tool(call)`` in an activity context with the worker's payload converter; its
    payload decoded into a ``ToolOutput``."""
    env = env or ActivityEnvironment()
    env.payload_converter = pydantic_data_converter.payload_converter
    raw = await env.run(tool, call)
    return ToolOutput.model_validate_json(raw.payload.data)
