"""Claim check: tool results over the history budget live in the ops database.

The workflow carries a bounded preview plus the claim id; whoever needs the full result
(dependent steps, ``analyze``) loads it here, under the same tenant's session.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict

import asyncpg

from opsflow.db.session import tenant_session
from opsflow.errors import ToolExecutionError
from opsflow.models import ToolCall, ToolOutput
from opsflow.models.tool_io import PREVIEW_POINTS

PREVIEW_ITEMS = 50


CACHE_SIZE = 64


class ClaimCache:
    """The worker's most recent claims, parsed (bounded, least recently stored first out).

    Claims are immutable: the worker that stored one usually analyses it too, so it skips
    a database read and a JSON parse. One per worker (on its resources), never per process.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], ToolOutput] = OrderedDict()

    def remember(self, tenant_id: str, claim_id: str, output: ToolOutput) -> None:
        self._items[(tenant_id, claim_id)] = output
        self._items.move_to_end((tenant_id, claim_id))
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def get(self, tenant_id: str, claim_id: str) -> ToolOutput | None:
        cached = self._items.get((tenant_id, claim_id))
        # A copy: callers may adjust fields (attempt, duration) on what they get.
        return cached.model_copy() if cached is not None else None


async def store_claim(
    pool: asyncpg.Pool,
    cache: ClaimCache,
    tenant_id: str,
    output: ToolOutput,
    payload: str | None = None,
) -> str:
    """``payload``: the output's JSON when the caller already has it (serialise once)."""
    claim_id = str(uuid.uuid4())
    async with tenant_session(
        pool, tenant_id, statement_timeout_ms=30_000, readonly=False, commit=True
    ) as conn:
        await conn.fetch(
            "INSERT INTO tool_result_claim (tenant_id, id, payload)"
            " VALUES ($1, $2, $3::text::jsonb) RETURNING id",
            tenant_id,
            uuid.UUID(claim_id),
            # Sent as text and cast in SQL: the pool's jsonb codec would encode it twice.
            payload if payload is not None else output.model_dump_json(),
        )
    cache.remember(tenant_id, claim_id, output)
    return claim_id


async def load_claim(
    pool: asyncpg.Pool, cache: ClaimCache, tenant_id: str, claim_id: str
) -> ToolOutput:
    cached = cache.get(tenant_id, claim_id)
    if cached is not None:
        return cached
    async with tenant_session(pool, tenant_id, statement_timeout_ms=30_000) as conn:
        rows = await conn.fetch(
            "SELECT payload::text AS payload FROM tool_result_claim WHERE id = $1",
            uuid.UUID(claim_id),
        )
    if not rows:
        raise ToolExecutionError(f"claim {claim_id} not found for tenant {tenant_id}")
    return ToolOutput.model_validate_json(rows[0]["payload"])


def preview(output: ToolOutput, claim_id: str) -> ToolOutput:
    """A bounded copy for workflow history; the full result is behind ``claim_id``."""
    table = output.table
    if table is not None:
        table = table.model_copy(update={"rows": table.rows[:PREVIEW_ITEMS]})
    series = [s.sliced(slice(-PREVIEW_POINTS, None)) for s in output.series[: PREVIEW_ITEMS // 5]]
    return output.model_copy(
        update={
            "cis": output.cis[:PREVIEW_ITEMS],
            "edges": output.edges[:PREVIEW_ITEMS],
            "events": output.events[:PREVIEW_ITEMS],
            "series": series,
            "table": table,
            "claim_id": claim_id,
            "truncated": True,
            "note": (output.note + " " if output.note else "")
            + "preview; full result stored by claim check",
        }
    )


async def resolve_inputs(pool: asyncpg.Pool, cache: ClaimCache, call: ToolCall) -> ToolCall:
    """Replace claimed parent outputs with their full results."""
    if not any(o.claim_id for o in call.inputs.values()):
        return call
    inputs = {}
    for step_id, out in call.inputs.items():
        inputs[step_id] = (
            await load_claim(pool, cache, call.tenant_id, out.claim_id) if out.claim_id else out
        )
    return call.model_copy(update={"inputs": inputs})
