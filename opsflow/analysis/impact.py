"""Traffic-weighted impact: how much of the trouble a candidate can account for.

A dependency's latency or availability excursion matters to its callers in proportion to
the requests it serves: +70 ms on a load balancer taking 0.2 req/s adds far less waiting
than +10 ms on the service taking 3 req/s, and one failed request in three on a nearly idle
endpoint is fewer failures than 2 % of a busy one. Impact = |excursion| x the requests that
met it (the CI's load series over the excursion; its baseline median when the excursion has
no load points), compared only between CIs reporting the same metric and the same traffic
metric, so units cancel. CIs without a traffic series are not judged (factor 1): missing
data must not read as "small".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.metrics import classify
from opsflow.analysis.series import SeriesData

# Families whose excursion, multiplied by traffic, is an amount of harm (waiting, failures).
IMPACT_FAMILIES = frozenset({"latency", "availability", "errors"})
# A candidate with a tiny share keeps this much of its strength: impact orders candidates,
# it does not erase an anomaly that is real.
_FLOOR = 0.35


@dataclass(frozen=True)
class Traffic:
    """One CI's load series (the tenant's most common load metric) and its usual level."""

    times: list[float]
    values: list[float]
    usual: float  # median before the recent window

    def during(self, start: float, end: float) -> float:
        inside = [v for t, v in zip(self.times, self.values, strict=True) if start <= t <= end]
        return max(0.0, median(inside)) if inside else self.usual


def traffic_of(series: list[SeriesData], before_ts: float) -> dict[str, Traffic]:
    """Traffic per CI. Only the load metric most CIs report is used: one unit for all."""
    load = [s for s in series if classify(s.metric) == "load"]
    counts = Counter(s.metric for s in load)
    if not counts:
        return {}
    metric = min(counts, key=lambda m: (-counts[m], m))
    out: dict[str, Traffic] = {}
    for s in load:
        past = [v for t, v in zip(s.times, s.values, strict=True) if t < before_ts]
        if s.metric == metric and past:
            out[s.ci] = Traffic(s.times, s.values, max(0.0, median(past)))
    return out


def impact_factors(
    tops: Mapping[str, Detection], traffic: Mapping[str, Traffic], focus: str | None
) -> dict[str, float]:
    """Per candidate (by its main detection): ``max(floor, sqrt(share))`` of the largest
    impact among candidates with the same metric; the focus (it is the symptom) and
    candidates without traffic or in other families are left at 1."""
    impact: dict[str, tuple[str, float]] = {}
    for ci, det in tops.items():
        load = traffic.get(ci)
        if ci == focus or load is None or det.family not in IMPACT_FAMILIES:
            continue
        impact[ci] = (det.anomaly.metric, abs(det.delta) * load.during(det.onset_ts, det.end_ts))
    best: dict[str, float] = {}
    for metric, value in impact.values():
        best[metric] = max(best.get(metric, 0.0), value)
    out: dict[str, float] = {}
    for ci, (metric, value) in impact.items():
        top = best[metric]
        share = value / top if top > 0.0 else 1.0
        out[ci] = max(_FLOOR, math.sqrt(share))
    return out
