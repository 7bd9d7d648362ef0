"""Claim check: tool results over the history budget live in the ops database.

The workflow carries a bounded preview plus the claim id; whoever needs the full result
(dependent steps, ``analyze``) loads it here, under the same tenant's session.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import OrderedDict
from typing import Any

import asyncpg
import structlog

from opsflow.db.session import tenant_session
from opsflow.errors import ToolExecutionError
from opsflow.models import ToolCall, ToolOutput
from opsflow.models.tool_io import PREVIEW_POINTS

log = structlog.get_logger(__name__)

PREVIEW_ITEMS = 50
# A preview's table cell is cut to this many characters: 50 rows of any width were
# once kept in history whole (20 rows of lpad('x', 10000000) is 200 MB of history).
PREVIEW_CELL_CHARS = 512
_CUT = "…"
CACHE_SIZE = 64
CACHE_BYTES = 16 * 1024 * 1024
CACHE_ITEM_BYTES = 1024 * 1024


class ClaimCache:
    """The worker's most recent claims, parsed (bounded in count and bytes, least recently
    stored first out).

    Claims are immutable: the worker that stored one usually analyses it too, so it skips
    a database read and a JSON parse. One per worker (on its resources), never per process.
    Bounded in bytes too (by the JSON size): 64 claims of 2 MB direct_query results kept
    130 MB in a worker while one tenant asked for wide rows again and again.
    """

    def __init__(self, size: int = CACHE_SIZE, max_bytes: int = CACHE_BYTES) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[tuple[str, str], tuple[ToolOutput, int]] = OrderedDict()

    def remember(self, tenant_id: str, claim_id: str, output: ToolOutput, size: int = 0) -> None:
        if size > CACHE_ITEM_BYTES:
            return  # read back from the database when needed: rare and large
        key = (tenant_id, claim_id)
        previous = self._items.pop(key, None)
        if previous is not None:
            self._bytes -= previous[1]
        self._items[key] = (output, size)
        self._bytes += size
        while len(self._items) > self._size or self._bytes > self._max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self._bytes -= dropped

    def get(self, tenant_id: str, claim_id: str) -> ToolOutput | None:
        cached = self._items.get((tenant_id, claim_id))
        # A copy: callers may adjust fields (attempt, duration) on what they get.
        return cached[0].model_copy() if cached is not None else None


async def store_claim(
    pool: asyncpg.Pool,
    cache: ClaimCache,
    tenant_id: str,
    output: ToolOutput,
    payload: str | None = None,
) -> str:
    """``payload``: the output's JSON when the caller already has it (serialise once)."""
    claim_id = str(uuid.uuid4())
    if payload is None:
        payload = output.model_dump_json()
    async with tenant_session(
        pool, tenant_id, statement_timeout_ms=30_000, readonly=False, commit=True
    ) as conn:
        await conn.fetch(
            "INSERT INTO tool_result_claim (tenant_id, id, payload)"
            " VALUES ($1, $2, $3) RETURNING id",
            tenant_id,
            uuid.UUID(claim_id),
            # Stored as the JSON text it is (0006): no jsonb parse per claim.
            payload,
        )
    cache.remember(tenant_id, claim_id, output, len(payload))
    return claim_id


async def load_claim(
    pool: asyncpg.Pool, cache: ClaimCache, tenant_id: str, claim_id: str
) -> ToolOutput:
    cached = cache.get(tenant_id, claim_id)
    if cached is not None:
        return cached
    async with tenant_session(pool, tenant_id, statement_timeout_ms=30_000) as conn:
        rows = await conn.fetch(
            "SELECT payload FROM tool_result_claim WHERE id = $1",
            uuid.UUID(claim_id),
        )
    if not rows:
        raise ToolExecutionError(f"claim {claim_id} not found for tenant {tenant_id}")
    return ToolOutput.model_validate_json(rows[0]["payload"])


def preview(output: ToolOutput, claim_id: str) -> ToolOutput:
    """A bounded copy for workflow history; the full result is behind ``claim_id``."""
    table = output.table
    if table is not None:
        rows = [[_preview_cell(cell) for cell in row] for row in table.rows[:PREVIEW_ITEMS]]
        table = table.model_copy(update={"rows": rows})
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


def _preview_cell(cell: Any) -> Any:
    """`cell`, or a cut-down string of it when it is longer than PREVIEW_CELL_CHARS."""
    if cell is None or isinstance(cell, bool | int | float):
        return cell
    text = cell if isinstance(cell, str) else json.dumps(cell, default=str)
    if len(text) <= PREVIEW_CELL_CHARS:
        return cell
    return text[:PREVIEW_CELL_CHARS] + _CUT


async def delete_expired_claims(pool: asyncpg.Pool, retention_s: int) -> int:
    """Delete claims older than `retention_s` seconds (as the pool's owner, every tenant)."""
    async with pool.acquire() as conn:
        status = await conn.execute(
            "DELETE FROM tool_result_claim WHERE created_at < now() - make_interval(secs => $1)",
            float(retention_s),
        )
    # asyncpg returns the command tag, "DELETE <rows>".
    return int(status.rsplit(" ", 1)[-1])


async def claim_cleaner(pool: asyncpg.Pool, retention_s: int, interval_s: float) -> None:
    """Delete expired claims now and every `interval_s` until cancelled (worker task).

    Several workers may run it at once: each DELETE is idempotent. A failed round (the
    database restarting) is logged and retried at the next interval.
    """
    if retention_s <= 0:
        return
    while True:
        try:
            deleted = await delete_expired_claims(pool, retention_s)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
            log.warning("claim_cleanup_failed", error=str(err))
        else:
            if deleted:
                log.info("claims_expired", deleted=deleted, retention_s=retention_s)
        await asyncio.sleep(interval_s)


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
