"""Structured tools over metrics (raw and rolled up) and events."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from activities.heartbeat import Heartbeater
from activities.lookup import ci_ids_by_name, params_of, target_ci_names
from activities.resources import WorkerResources
from activities.tooling import tool_activity
from opsflow.db.session import tenant_session
from opsflow.errors import ValidationError
from opsflow.models import EventRecord, MetricSeries, ToolCall, ToolOutput
from opsflow.names import ToolName
from opsflow.params import EventSearchParams, MetricTimeseriesParams
from opsflow.utc import as_utc

# CIs per query: small batches give heartbeats real progress to report.
BATCH = 8
# Enough for the planner's 7 h at 1-minute samples, native; longer spans are bucketed.
MAX_POINTS_PER_SERIES = 720
# Rows read past a past reference time: its own row and the sampling lag after it.
LAG_SAMPLES = 3
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}

# One row per (CI, metric) with its buckets as two arrays: asyncpg decodes arrays in C,
# so no Python work per sample (bench/README.md, "metric columns"). Grouped by ci_id, the
# order the primary key returns the window in (an incremental sort per series, not a sort
# of the whole window by name); names are joined to the finished series, one row each.
_SERIES_SQL = """
SELECT c.name, s.metric, s.epoch_s, s.vals
  FROM (SELECT ci_id, metric,
               array_agg(extract(epoch FROM bucket)::float8 ORDER BY bucket) AS epoch_s,
               array_agg(value ORDER BY bucket) AS vals
          FROM ({buckets}) b
         WHERE value IS NOT NULL
         GROUP BY ci_id, metric) s
  JOIN ci c ON c.tenant_id = $1 AND c.id = s.ci_id
 ORDER BY c.name, s.metric
"""
_RAW_SQL = _SERIES_SQL.format(
    buckets="""
SELECT m.ci_id, m.metric, date_bin($5::interval, m.ts, TIMESTAMPTZ 'epoch') AS bucket,
       avg(m.value) AS value
  FROM metric_sample m
 WHERE m.tenant_id = $1 AND m.ci_id = ANY($2::text[]) AND m.ts > $3 AND m.ts <= $4
   AND (cardinality($6::text[]) = 0 OR m.metric = ANY($6::text[]))
 GROUP BY m.ci_id, m.metric, bucket"""
)
_ROLLUP_SQL = _SERIES_SQL.format(
    buckets="""
SELECT m.ci_id, m.metric, date_bin($5::interval, m.bucket, TIMESTAMPTZ 'epoch') AS bucket,
       sum(m.avg * m.count) / nullif(sum(m.count), 0) AS value
  FROM metric_rollup m
 WHERE m.tenant_id = $1 AND m.ci_id = ANY($2::text[]) AND m.bucket > $3 AND m.bucket <= $4
   AND (cardinality($6::text[]) = 0 OR m.metric = ANY($6::text[]))
 GROUP BY m.ci_id, m.metric, 3"""
)


def bucket_for(span_s: float, native_s: int, min_bucket_s: int) -> int:
    """At most MAX_POINTS_PER_SERIES buckets, each a whole multiple of the data's own step:
    a 2-minute bucket over 5-minute samples would leave holes and uneven points."""
    step = max(min_bucket_s, native_s)
    return step * max(1, math.ceil(span_s / MAX_POINTS_PER_SERIES / step))


_SAMPLING_SQL = """
SELECT ARRAY(SELECT DISTINCT ts FROM metric_sample
              WHERE tenant_id = $1 AND ci_id = $2 AND ts > $3 AND ts <= $4
              ORDER BY ts DESC LIMIT 32) AS recent,
       (SELECT min(ts) FROM metric_sample
         WHERE tenant_id = $1 AND ci_id = $2 AND ts > $3 AND ts <= $4) AS first
"""


async def _sampling(
    conn: asyncpg.Connection, tenant_id: str, ci_id: str, start: datetime, end: datetime
) -> tuple[int, datetime | None]:
    """The sampling step of one CI's data in the window (median gap of its last samples)
    and its first sample there: a recording that starts inside the window is bucketed by
    its own span, so 15 minutes of 5-second data keeps its 5-second points."""
    # One round trip: both probes are index-only reads of the same key range.
    row = await conn.fetchrow(_SAMPLING_SQL, tenant_id, ci_id, start, end)
    assert row is not None  # an aggregate-free SELECT of two sub-selects: always one row
    return median_gap_s([ts.timestamp() for ts in row["recent"]]), row["first"]


def read_until(reference: datetime, after_minutes: int, now: datetime) -> datetime:
    """Upper bound of a metric read: ``after_minutes`` past a reference time that is already
    in the past (an operator asking about 22:00 means around 22:00, and a fault's samples
    land one to three rows after it began), never beyond the wall clock and never
    before the reference time itself. A live question (reference = now) reads up to now."""
    aware = as_utc(reference)
    return max(aware, min(aware + timedelta(minutes=after_minutes), now))


def lag_bound(reference: datetime, end: datetime, native_s: int) -> datetime:
    """Past the reference time, only the sampling lag: the rows covering the instant and
    the next ``LAG_SAMPLES`` (a row is stamped with its interval's start and a fault shows
    one to three rows after it began). Later rows belong to what happened after the
    question's instant, which cannot have caused it."""
    aware = as_utc(reference)
    return max(aware, min(end, aware + timedelta(seconds=LAG_SAMPLES * native_s)))


@dataclass(frozen=True)
class MetricWindow:
    """What a metric_timeseries step reads, whichever tool serves it (SQL or Prometheus):
    the CIs, the metrics (empty: all), and the interval (start, end]."""

    names: list[str]
    metrics: list[str]
    reference: datetime
    start: datetime
    end: datetime

    @property
    def span_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def describe(self, series: int, bucket_s: int, end: datetime) -> str:
        """``end``: where the read actually stopped (lag-bounded, at most ``self.end``)."""
        past = (end - self.reference).total_seconds() / 60
        return f"{series} series, {bucket_s}s buckets, {self.start:%Y-%m-%dT%H:%M}..{end:%H:%M}" + (
            f" (read {past:.0f} min past the reference time)" if past > 0 else ""
        )


def metric_window(call: ToolCall) -> MetricWindow:
    """The one reading of a metric step's window parameters every metric tool shares."""
    params = params_of(MetricTimeseriesParams, call)
    names = target_ci_names(call, params)
    if not names:
        raise ValidationError("metric_timeseries needs ci, cis or include_inputs with parents")
    ref = as_utc(call.reference_time)
    start = ref - timedelta(minutes=params.window_minutes) - timedelta(hours=params.history_hours)
    end = read_until(ref, params.after_minutes, datetime.now(UTC))
    return MetricWindow(
        names=names, metrics=list(params.metrics), reference=ref, start=start, end=end
    )


def median_gap_s(stamps: Sequence[float], default: int = 60) -> int:
    """The sampling step of a series: the median gap between its timestamps."""
    ordered = sorted(set(stamps))
    gaps = sorted(int(b - a) for a, b in itertools.pairwise(ordered))
    return gaps[len(gaps) // 2] if gaps else default


def read_plan(
    w: MetricWindow, native_s: int, first: datetime | None, min_bucket_s: int
) -> tuple[datetime, int]:
    """The end of the read and the bucket, for data sampled every ``native_s`` whose first
    sample in the window is ``first``: every metric tool over raw samples reads the same
    way (past a past reference only the sampling lag; a recording that starts inside the
    window bucketed by its own span)."""
    end = lag_bound(w.reference, w.end, native_s)
    span_s = w.span_s
    if first is not None and w.start < first < end:
        span_s = (end - first).total_seconds()
    return end, bucket_for(span_s, native_s, min_bucket_s)


class TelemetryTools:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @tool_activity(ToolName.METRIC_QUERY, progress_heartbeats=True)
    async def metric_query(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        return await self._series(
            call, hb, tool=ToolName.METRIC_QUERY, sql=_RAW_SQL, min_bucket_s=1
        )

    @tool_activity(ToolName.METRIC_ROLLUP_FALLBACK, progress_heartbeats=True)
    async def metric_rollup_fallback(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        return await self._series(
            call, hb, tool=ToolName.METRIC_ROLLUP_FALLBACK, sql=_ROLLUP_SQL, min_bucket_s=300
        )

    async def _series(
        self, call: ToolCall, hb: Heartbeater, *, tool: str, sql: str, min_bucket_s: int
    ) -> ToolOutput:
        w = metric_window(call)
        names, metrics, start, end = w.names, w.metrics, w.start, w.end
        timeout_ms = int(self.res.policy(tool).start_to_close_s * 1000)
        series: list[MetricSeries] = []
        rows_seen = 0
        async with tenant_session(
            self.res.pool, call.tenant_id, statement_timeout_ms=timeout_ms
        ) as conn:
            # Connected: from here a scan that stops making progress is stalled.
            hb.progress({"cis_done": 0, "cis": len(names)})
            found = await ci_ids_by_name(conn, call.tenant_id, names)
            ids = [ci_id for ci_id, _ in found.values()]
            native_s = min_bucket_s
            if tool == ToolName.METRIC_QUERY and ids:
                native_s, first = await _sampling(conn, call.tenant_id, ids[0], start, end)
                end, bucket_s = read_plan(w, native_s, first, min_bucket_s)
            else:
                bucket_s = bucket_for(w.span_s, native_s, min_bucket_s)
            for offset in range(0, len(ids), BATCH):
                rows = await conn.fetch(
                    sql,
                    call.tenant_id,
                    ids[offset : offset + BATCH],
                    start,
                    end,
                    timedelta(seconds=bucket_s),
                    metrics,
                )
                for r in rows:
                    rows_seen += len(r["vals"])
                    series.append(
                        MetricSeries(
                            ci=r["name"],
                            metric=r["metric"],
                            epoch_s=r["epoch_s"],
                            values=r["vals"],
                            bucket_s=bucket_s,
                            source="raw" if tool == ToolName.METRIC_QUERY else "rollup",
                        )
                    )
                hb.progress({"cis_done": min(offset + BATCH, len(ids)), "cis": len(ids)})
        return ToolOutput(
            tool=tool,
            step_id=call.step_id,
            series=series,
            row_count=rows_seen,
            note=w.describe(len(series), bucket_s, end),
        )

    @tool_activity(ToolName.EVENT_QUERY)
    async def event_query(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        params = params_of(EventSearchParams, call)
        window, kinds, severity = params.window_minutes, params.kinds, params.severity
        names = target_ci_names(call, params)
        end = call.reference_time
        timeout_ms = int(self.res.policy(ToolName.EVENT_QUERY).start_to_close_s * 1000)
        async with tenant_session(
            self.res.pool, call.tenant_id, statement_timeout_ms=timeout_ms
        ) as conn:
            ids = [i for i, _ in (await ci_ids_by_name(conn, call.tenant_id, names)).values()]
            rows = await conn.fetch(
                "SELECT e.id, c.name AS ci, e.ts, e.kind, e.severity, e.message"
                "  FROM event e LEFT JOIN ci c ON c.tenant_id = e.tenant_id AND c.id = e.ci_id"
                " WHERE e.tenant_id = $1 AND e.ts > $2 AND e.ts <= $3"
                "   AND (cardinality($4::text[]) = 0 OR e.ci_id = ANY($4::text[]))"
                "   AND (cardinality($5::text[]) = 0 OR e.kind = ANY($5::text[]))"
                "   AND (CASE e.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)"
                "       >= $6"
                " ORDER BY e.ts DESC LIMIT $7",
                call.tenant_id,
                end - timedelta(minutes=window),
                end,
                ids,
                kinds,
                SEVERITY_RANK[severity],
                call.row_cap,
            )
        events = [EventRecord(**dict(r)) for r in rows]
        return ToolOutput(
            tool=ToolName.EVENT_QUERY,
            step_id=call.step_id,
            events=events,
            row_count=len(events),
            truncated=len(events) >= call.row_cap,
        )
