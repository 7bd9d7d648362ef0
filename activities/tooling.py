"""The one wrapper every tool activity goes through.

It owns what must be identical across tools: injected latency (benchmarks), parent
outputs resolved from claims, progress heartbeats, output validation and the claim check.
Error conversion, failure logs, metrics and stats are the activity interceptor's
(activities/interceptor.py), shared with the phase activities.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import pydantic
import structlog
from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue

from activities.claims import preview, resolve_inputs, store_claim
from activities.heartbeat import Heartbeater
from activities.resources import WorkerResources
from opsflow.errors import ToolOutputError
from opsflow.models import ToolCall, ToolOutput

log = structlog.get_logger(__name__)


class HasResources(Protocol):
    res: WorkerResources


S = TypeVar("S", bound=HasResources)
ToolImpl = Callable[[S, ToolCall, Heartbeater], Awaitable[ToolOutput]]


def tool_activity(
    name: str, *, progress_heartbeats: bool = False
) -> Callable[[ToolImpl[S]], Callable[[S, ToolCall], Awaitable[RawValue]]]:
    """Register ``fn`` as the activity ``name``.

    The activity returns its ``ToolOutput`` as the payload the worker's converter makes of
    it (a ``RawValue``): serialised once, both to size it for the claim check and to send
    it; the workflow decodes it once, straight into a ``ToolOutput``.

    ``progress_heartbeats``: the tool reports progress per unit of work, so heartbeats stop
    when it stalls and Temporal abandons it at the heartbeat timeout.
    """

    def decorate(fn: ToolImpl[S]) -> Callable[[S, ToolCall], Awaitable[RawValue]]:
        # ``self`` stays unannotated: Temporal skips only an unannotated first ``self``
        # when it reads the argument types it decodes payloads into.
        async def run_tool(self, call: ToolCall) -> RawValue:  # type: ignore[no-untyped-def]
            return await _run(self.res, name, fn, self, call, progress_heartbeats)

        run_tool.__name__ = fn.__name__
        run_tool.__qualname__ = fn.__qualname__
        run_tool.__doc__ = fn.__doc__
        return activity.defn(name=name)(run_tool)

    return decorate


async def _run(
    res: WorkerResources,
    name: str,
    fn: ToolImpl[Any],
    owner: Any,
    call: ToolCall,
    progress_heartbeats: bool,
) -> RawValue:
    policy = res.policy(name)
    started = time.monotonic()
    stall_s = policy.heartbeat_timeout_s if progress_heartbeats else None
    interval_s = _interval(policy.heartbeat_timeout_s)
    try:
        async with Heartbeater(interval_s=interval_s, stall_s=stall_s) as hb:
            await _injected_latency(res.settings.tool_latency_ms / 1000, hb)
            hb.disarm()  # the stall clock restarts once the tool holds a connection
            call = await resolve_inputs(res.pool, res.claims, call)
            output = await fn(owner, call, hb)
    except pydantic.ValidationError as err:
        # Records that do not fit the output schema: a retry would read the same rows.
        raise ToolOutputError(f"tool output failed its schema: {err.errors()[:3]}") from err
    output.attempt = activity.info().attempt
    output.duration_ms = round((time.monotonic() - started) * 1000, 1)
    payload = _wire(output)
    if len(payload.data) > res.settings.claim_threshold_bytes:
        claim_id = await store_claim(
            res.pool, res.claims, call.tenant_id, output, payload.data.decode()
        )
        payload = _wire(preview(output, claim_id))
    return RawValue(payload)


def _wire(output: ToolOutput) -> Payload:
    """``output`` as the worker's payload converter sends it (before any codec)."""
    payload = activity.payload_converter().to_payload(output)
    assert payload is not None  # the JSON converter takes any pydantic model
    return payload


async def _injected_latency(seconds: float, hb: Heartbeater) -> None:
    """Configured latency (benchmarks, chaos) that still heartbeats as progress."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        hb.progress({"phase": "injected_latency"})
        await asyncio.sleep(min(left, 0.25))


def _interval(heartbeat_timeout_s: float | None) -> float:
    return min(1.0, heartbeat_timeout_s / 4) if heartbeat_timeout_s else 1.0
