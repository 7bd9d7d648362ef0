"""Synthetic telemetry for the analysis tests: seeded, so every run sees the same data."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from opsflow.models import (
    AnalysisInput,
    CiRecord,
    EdgeRecord,
    EventRecord,
    MetricSeries,
    ToolOutput,
)

REF = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
STEP_S = 60


def series(
    ci: str,
    metric: str,
    *,
    level: float = 100.0,
    noise: float = 0.05,
    hours: float = 6.0,
    seed: int = 1,
    daily_amplitude: float = 0.0,
    shift_from_min: int | None = None,
    shift_factor: float = 1.0,
    shape: Callable[[datetime], float] | None = None,
    step_s: int = STEP_S,
) -> MetricSeries:
    """``level`` (x a daily sine, x ``shape``) + Gaussian noise, ending at ``REF``.

    ``shift_from_min``: minutes before REF where a step change x ``shift_factor`` starts.
    """
    rng = random.Random(seed)
    n = int(hours * 3600 / step_s)
    stamps, values = [], []
    for k in range(n, -1, -1):
        ts = REF - timedelta(seconds=k * step_s)
        tod = (ts.hour * 3600 + ts.minute * 60) / 86400.0
        value = level * (1.0 + daily_amplitude * math.sin(2 * math.pi * tod))
        if shape is not None:
            value *= shape(ts)
        if shift_from_min is not None and ts >= REF - timedelta(minutes=shift_from_min):
            value *= shift_factor
        value += rng.gauss(0.0, noise * level)
        stamps.append(ts.timestamp())
        values.append(value)
    return MetricSeries(
        ci=ci, metric=metric, epoch_s=stamps, values=values, bucket_s=step_s, source="raw"
    )


def blip(start_min: float, end_min: float, factor: float) -> Callable[[datetime], float]:
    """A ``shape`` that multiplies by ``factor`` from ``start_min`` to ``end_min`` minutes
    before REF and leaves the rest alone: an excursion that is over."""

    def shape(ts: datetime) -> float:
        before_min = (REF - ts).total_seconds() / 60.0
        return factor if end_min <= before_min <= start_min else 1.0

    return shape


def deploy(ci: str, minutes_before_ref: float, kind: str = "deploy") -> EventRecord:
    return EventRecord(
        id=f"{kind}-{ci}-{minutes_before_ref}",
        ci=ci,
        ts=REF - timedelta(minutes=minutes_before_ref),
        kind=kind,
        severity="info",
        message=f"{kind} of {ci}",
    )


def analysis_input(
    all_series: list[MetricSeries],
    *,
    edges: list[tuple[str, str]] = (),  # type: ignore[assignment]
    events: list[EventRecord] = (),  # type: ignore[assignment]
    focus: str | None = None,
    intent: str = "why_slow",
    ci_types: dict[str, str] | None = None,
) -> AnalysisInput:
    names = sorted({s.ci for s in all_series} | {n for e in edges for n in e})
    types = ci_types or {}
    topo = ToolOutput(
        tool="topology_traverse",
        step_id="topo",
        cis=[CiRecord(id=f"id-{n}", name=n, ci_type=types.get(n, "service")) for n in names],
        edges=[EdgeRecord(source=a, target=b) for a, b in edges],
    )
    metrics = ToolOutput(tool="metric_query", step_id="metrics", series=list(all_series))
    evts = ToolOutput(tool="event_query", step_id="events", events=list(events))
    return AnalysisInput(
        tenant_id="t_acme",
        question="why?",
        focus_ci=focus,
        intent=intent,
        reference_time=REF,
        outputs={"topo": topo, "metrics": metrics, "events": evts},
    )
