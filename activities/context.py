"""``load_tool_context``: observed tool stats and configured policies, for one run.

It only reads. Tool calls are recorded by the activity interceptor in the worker's buffer
and the flusher writes them to ``tool_stats`` (exponentially weighted) every few seconds,
off every question's critical path; every worker's experience counts.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from temporalio import activity

from activities.resources import WorkerResources
from opsflow.contracts import ToolContext
from opsflow.db.session import tenant_session
from opsflow.names import ActivityName
from opsflow.registry import ToolStats
from opsflow.sources.routing import MetricSource, MetricSourceKind

log = structlog.get_logger(__name__)

EWMA_WEIGHT = 0.2
FLUSH_INTERVAL_S = 5.0

_UPSERT = """
INSERT INTO tool_stats AS s (tool, calls, failures, ewma_ms, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (tool) DO UPDATE SET
    calls = s.calls + EXCLUDED.calls,
    failures = s.failures + EXCLUDED.failures,
    ewma_ms = CASE WHEN s.calls = 0 THEN EXCLUDED.ewma_ms
                   ELSE s.ewma_ms * (1 - $5) + EXCLUDED.ewma_ms * $5 END,
    updated_at = now()
"""


async def flush_stats(res: WorkerResources) -> None:
    if not res.stats_buffer:
        return
    batch, res.stats_buffer = res.stats_buffer, {}
    rows = []
    for tool, samples in batch.items():
        mean_ms = sum(ms for ms, _ in samples) / len(samples)
        failures = sum(1 for _, ok in samples if not ok)
        rows.append((tool, len(samples), failures, mean_ms, EWMA_WEIGHT))
    try:
        async with res.pool.acquire() as conn:
            await conn.executemany(_UPSERT, rows)
    except (asyncpg.PostgresError, OSError) as err:
        # Stats are advisory: keep the samples for the next flush, say so, carry on.
        for tool, samples in batch.items():
            res.stats_buffer.setdefault(tool, []).extend(samples)
        log.warning("tool_stats_flush_failed", error=str(err))


async def stats_flusher(res: WorkerResources) -> None:
    while True:
        await asyncio.sleep(FLUSH_INTERVAL_S)
        await flush_stats(res)


class ContextActivities:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @activity.defn(name=ActivityName.LOAD_TOOL_CONTEXT)
    async def load_tool_context(self, tenant_id: str | None = None) -> ToolContext:
        """``tenant_id``: also which metric source the tenant has (runs started before
        the tenant-metric-source patch call it without one)."""
        # The workflow schedules this call on the default policy (the configured ones arrive
        # with its result); the configured one bounds the read here.
        timeout_s = self.res.policy(ActivityName.LOAD_TOOL_CONTEXT).start_to_close_s
        async with self.res.pool.acquire(timeout=timeout_s) as conn:
            rows = await conn.fetch(
                "SELECT tool, calls, failures, ewma_ms FROM tool_stats", timeout=timeout_s
            )
        context = ToolContext(
            stats=[ToolStats(**dict(r)) for r in rows],
            policies=dict(self.res.policies),
            llm_configured=self.res.llm is not None,
        )
        if tenant_id is not None:
            context.metric_source = await self._metric_source(tenant_id)
        return context

    async def _metric_source(self, tenant_id: str) -> MetricSource:
        async with tenant_session(self.res.pool, tenant_id, statement_timeout_ms=5000) as conn:
            row = await conn.fetchrow(
                "SELECT EXISTS (SELECT 1 FROM tenant_source WHERE tenant_id = $1"
                "               AND kind = 'prometheus') AS prometheus,"
                "       EXISTS (SELECT 1 FROM metric_rollup WHERE tenant_id = $1) AS rollups",
                tenant_id,
            )
        assert row is not None
        kind = MetricSourceKind.PROMETHEUS if row["prometheus"] else MetricSourceKind.DATABASE
        return MetricSource(kind=kind, has_rollups=bool(row["rollups"]))
