"""Baseline telemetry: daily seasonality, noise and per-type scales; 5-minute rollups.

Load follows the time of day (a sinusoid peaking at the tenant's busy hour); latency, CPU
and error rate follow load weakly, as they do on a healthy, not-saturated system.
Memory drifts slowly on its own. Incidents are applied on top (``incidents.py``).
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from opsflow_app.seed.model import HOST_METRICS, METRICS, ROLLUP_BUCKET, Rollup, Series

DAY_S = 86_400.0
# (rps, latency_p95 ms, error_rate, cpu %, memory %) ranges per CI type.
_SCALES: dict[str, tuple[tuple[float, float], ...]] = {
    "service": ((40, 600), (60, 250), (0.001, 0.008), (15, 40), (35, 65)),
    "database": ((300, 3000), (2, 12), (0.0001, 0.001), (20, 40), (55, 80)),
    "queue": ((100, 1500), (3, 25), (0.0002, 0.002), (10, 25), (30, 50)),
    "load_balancer": ((800, 4000), (120, 300), (0.0005, 0.004), (5, 20), (15, 30)),
    "host": ((0, 0), (0, 0), (0, 0), (20, 45), (40, 70)),
}


@dataclass(frozen=True)
class Profile:
    rps: float
    latency: float
    error_rate: float
    cpu: float
    memory: float
    amplitude: float  # daily swing of load, as a fraction
    phase_h: float  # busy hour (UTC) of this CI
    peak: float = 0.0  # extra sharp daily peak (the seasonal-peak decoy), as a fraction


def metrics_for(ci_type: str) -> tuple[str, ...]:
    return HOST_METRICS if ci_type == "host" else METRICS


def draw_profile(ci_type: str, busy_hour: float, rng: random.Random) -> Profile:
    ranges = _SCALES.get(ci_type, _SCALES["service"])
    rps, lat, err, cpu, mem = (rng.uniform(lo, hi) for lo, hi in ranges)
    return Profile(
        rps=rps,
        latency=lat,
        error_rate=err,
        cpu=cpu,
        memory=mem,
        amplitude=rng.uniform(0.15, 0.35),
        phase_h=busy_hour + rng.uniform(-1.0, 1.0),
    )


def _load(epoch: float, profile: Profile) -> float:
    tod_h = (epoch % DAY_S) / 3600.0
    theta = 2 * math.pi * (tod_h - profile.phase_h) / 24.0
    factor = 1.0 + profile.amplitude * math.cos(theta)
    if profile.peak:
        # exp(k(cos-1)) is a daily bump about an hour wide: seasonal, yet sharp in a 6 h view.
        factor += profile.peak * math.exp(18.0 * (math.cos(theta) - 1.0))
    return factor


def baseline_series(
    ci_id: str, ci_type: str, profile: Profile, stamps: Sequence[datetime], rng: random.Random
) -> list[Series]:
    epochs = [ts.timestamp() for ts in stamps]
    loads = [_load(e, profile) for e in epochs]
    gauss = rng.gauss
    out: list[Series] = []
    for metric in metrics_for(ci_type):
        if metric == "rps":
            vals = [profile.rps * ld * (1 + gauss(0, 0.04)) for ld in loads]
        elif metric == "latency_p95":
            vals = []
            for ld in loads:
                v = profile.latency * (1 + 0.4 * (ld - 1)) * (1 + gauss(0, 0.06))
                # Rare modest spikes: real p95 is never smooth, and detectors must cope.
                if rng.random() < 0.004:
                    v *= rng.uniform(1.2, 1.5)
                vals.append(v)
        elif metric == "error_rate":
            vals = [
                profile.error_rate * (1 + 0.3 * (ld - 1)) * abs(1 + gauss(0, 0.3)) for ld in loads
            ]
        elif metric == "cpu":
            gain = 0.6 if ci_type == "host" else 0.8
            vals = [profile.cpu * (1 + gain * (ld - 1)) + gauss(0, 1.5) for ld in loads]
        else:  # memory: slow drift independent of load (caches, GC cycles)
            period = rng.uniform(3, 8) * 3600.0
            ph = rng.uniform(0, 2 * math.pi)
            vals = [
                profile.memory + 3 * math.sin(2 * math.pi * e / period + ph) + gauss(0, 0.5)
                for e in epochs
            ]
        out.append(Series(ci_id, metric, array("d", vals)))
    return out


def finalize(series: Series) -> None:
    """Clamp to physical ranges and round to what an agent would report."""
    vals = series.values
    if series.metric == "error_rate":
        for i, v in enumerate(vals):
            vals[i] = round(min(max(v, 0.0), 1.0), 5)
    elif series.metric in ("cpu", "memory"):
        for i, v in enumerate(vals):
            vals[i] = round(min(max(v, 0.5), 100.0), 2)
    else:
        for i, v in enumerate(vals):
            vals[i] = round(max(v, 0.0), 3)


def bucket_of(ts: datetime) -> datetime:
    """5-minute bucket start; epoch-aligned, equal to PostgreSQL's
    ``date_bin('5 minutes', ts, '2000-01-01')`` (2000-01-01 is a multiple of 300 s)."""
    width = ROLLUP_BUCKET.total_seconds()
    epoch = ts.timestamp()
    return datetime.fromtimestamp(epoch - epoch % width, tz=UTC)


def rollups(series: Sequence[Series], stamps: Sequence[datetime]) -> list[Rollup]:
    groups: list[tuple[datetime, int, int]] = []
    for i, ts in enumerate(stamps):
        b = bucket_of(ts)
        if groups and groups[-1][0] == b:
            groups[-1] = (b, groups[-1][1], i + 1)
        else:
            groups.append((b, i, i + 1))
    out: list[Rollup] = []
    for s in series:
        for bucket, lo, hi in groups:
            chunk = s.values[lo:hi]
            out.append(
                Rollup(
                    s.ci_id,
                    s.metric,
                    bucket,
                    sum(chunk) / len(chunk),
                    min(chunk),
                    max(chunk),
                    len(chunk),
                )
            )
    return out
