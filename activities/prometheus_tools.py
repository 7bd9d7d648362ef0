"""``prometheus_query`` and its coarser fallback: metric_timeseries from a tenant's
Prometheus, same windows and same ``MetricSeries`` contract as the SQL metric tools.

The source (URL, PromQL templates) is read from the tenant's own row in the ops database,
never from the step's parameters: a plan can only choose CIs, metrics and the window.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from activities.heartbeat import Heartbeater
from activities.lookup import ci_ids_by_name
from activities.resources import WorkerResources
from activities.telemetry_tools import (
    BATCH,
    MetricWindow,
    bucket_for,
    median_gap_s,
    metric_window,
    read_plan,
)
from activities.tooling import tool_activity
from opsflow.db.session import tenant_session
from opsflow.errors import AppError, ValidationError
from opsflow.models import MetricSeries, ToolCall, ToolOutput
from opsflow.names import ErrorCode
from opsflow.sources.prometheus_api import RangeResult, query_range
from opsflow.sources.routing import PROMETHEUS_COARSE, PROMETHEUS_QUERY
from opsflow.sources.store import load_sources
from opsflow.utc import epoch

# The coarse fallback asks for at most one point per 5 minutes, like the stored rollups.
COARSE_MIN_BUCKET_S = 300
# Queries in flight at once per step: enough to hide latency, few enough to be polite.
CONCURRENT_QUERIES = 8
# The step records this many of its queries for the UI (a step may send hundreds).
RECORDED_QUERIES = 20
_LOOKUP_TIMEOUT_MS = 5000
# As many of the latest timestamps as the SQL tool's sampling query looks at.
_SAMPLING_STAMPS = 32


class NoPrometheusSource(ValidationError):
    code = ErrorCode.NO_PROMETHEUS_SOURCE


@dataclass(frozen=True)
class _Job:
    ci: str
    metric: str
    query: str


class PrometheusTools:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @tool_activity(PROMETHEUS_QUERY, progress_heartbeats=True)
    async def prometheus_query(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        """Samples at the source's step, averaged into the SQL tool's buckets."""
        return await self._series(call, hb, coarse=False)

    @tool_activity(PROMETHEUS_COARSE, progress_heartbeats=True)
    async def prometheus_coarse_fallback(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        """One evaluation per coarse bucket: a fraction of the points and of the server's
        work, for when the full-resolution query timed out or failed."""
        return await self._series(call, hb, coarse=True)

    async def _series(self, call: ToolCall, hb: Heartbeater, *, coarse: bool) -> ToolOutput:
        w = metric_window(call)
        async with tenant_session(
            self.res.pool, call.tenant_id, statement_timeout_ms=_LOOKUP_TIMEOUT_MS
        ) as conn:
            source = (await load_sources(conn)).prometheus
            found = await ci_ids_by_name(conn, call.tenant_id, w.names)
        # The connection is back in the pool before any HTTP request is made.
        if source is None:
            raise NoPrometheusSource(f"tenant {call.tenant_id} has no Prometheus source")
        names = [found[n.lower()][1] for n in w.names]
        metrics = [m for m in (w.metrics or sorted(source.metrics)) if m in source.metrics]
        unserved = sorted(set(w.metrics) - set(source.metrics))
        jobs = [
            _Job(ci, metric, source.template(metric).render(ci))
            for ci in names
            for metric in metrics
        ]
        step_s = source.step_s
        if coarse:
            step_s = bucket_for(w.span_s, source.step_s, COARSE_MIN_BUCKET_S)
        first = (math.floor(epoch(w.start) / step_s) + 1) * step_s
        last = math.floor(epoch(w.end) / step_s) * step_s
        results: dict[_Job, RangeResult] = {}
        http = self.res.http()
        gate = asyncio.Semaphore(CONCURRENT_QUERIES)

        async def run(job: _Job) -> None:
            async with gate:
                try:
                    results[job] = await query_range(
                        http, source, job.query, start_s=first, end_s=last, step_s=step_s
                    )
                except AppError as err:
                    # The failed query is what an engineer wants to see in the step.
                    err.message = f"{err.message} (query: {job.query})"
                    raise

        hb.progress({"cis_done": 0, "cis": len(names)})
        for offset in range(0, len(names), BATCH):
            batch = set(names[offset : offset + BATCH])
            await _all_or_nothing(run(job) for job in jobs if job.ci in batch)
            hb.progress({"cis_done": min(offset + BATCH, len(names)), "cis": len(names)})
        series, bucket_s, end = _to_series(jobs, results, w, coarse=coarse, step_s=step_s)
        note = w.describe(len(series), bucket_s, end) + f" from Prometheus {source.url}"
        if coarse:
            note += f", coarse step {step_s}s"
        if unserved:
            note += f"; no PromQL template for {', '.join(unserved)}"
        return ToolOutput(
            tool=PROMETHEUS_COARSE if coarse else PROMETHEUS_QUERY,
            step_id=call.step_id,
            series=series,
            row_count=sum(len(s.values) for s in series),
            note=note,
            queries=[j.query for j in jobs[:RECORDED_QUERIES]],
        )


async def _all_or_nothing(coros: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the queries together; the first failure cancels its siblings (they are not
    left running against the server) and is raised as it is, so the step fails with its
    code. Cancellation of the activity cancels them all the same way."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _to_series(
    jobs: list[_Job],
    results: dict[_Job, RangeResult],
    w: MetricWindow,
    *,
    coarse: bool,
    step_s: int,
) -> tuple[list[MetricSeries], int, datetime]:
    """Full resolution reads like the SQL tool (``read_plan``): the data's own step and
    first sample, measured on the first CI with data (its last samples' median gap), decide
    the end and the bucket, and samples are averaged per bucket like its ``date_bin``.
    Coarse: one point per evaluation, as returned, over the whole window."""
    lo = epoch(w.start)
    if coarse:
        end, bucket_s = w.end, step_s
    else:
        end, bucket_s = read_plan(w, *_sampling(jobs, results, lo, epoch(w.end)), 1)
    hi = epoch(end)
    series = []
    for job in sorted(jobs, key=lambda j: (j.ci, j.metric)):
        got = results[job]
        points = [(t, v) for t, v in zip(got.epoch_s, got.values, strict=True) if lo < t <= hi]
        if not points:
            continue
        stamps, values = _column(points) if coarse else _column(_bucket_means(points, bucket_s))
        series.append(
            MetricSeries(
                ci=job.ci,
                metric=job.metric,
                epoch_s=stamps,
                values=values,
                bucket_s=bucket_s,
                source="prometheus_coarse" if coarse else "prometheus",
            )
        )
    return series, bucket_s, end


def _sampling(
    jobs: list[_Job], results: dict[_Job, RangeResult], lo: float, hi: float
) -> tuple[int, datetime | None]:
    """Native step and first sample of the first CI with data in (lo, hi], all its metrics
    together, as the SQL tool measures them (median gap of the last 32 distinct stamps)."""
    for ci in dict.fromkeys(j.ci for j in jobs):
        stamps = sorted({t for j in jobs if j.ci == ci for t in results[j].epoch_s if lo < t <= hi})
        if stamps:
            native = median_gap_s(stamps[-_SAMPLING_STAMPS:], default=60)
            return native, datetime.fromtimestamp(stamps[0], UTC)
    return 60, None


def _bucket_means(
    points: Iterable[tuple[float, float]], bucket_s: int
) -> list[tuple[float, float]]:
    sums: dict[float, tuple[float, int]] = {}
    for t, v in points:
        start = math.floor(t / bucket_s) * bucket_s
        total, count = sums.get(start, (0.0, 0))
        sums[start] = (total + v, count + 1)
    return [(float(t), sums[t][0] / sums[t][1]) for t in sorted(sums)]


def _column(points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    return [t for t, _ in points], [v for _, v in points]
