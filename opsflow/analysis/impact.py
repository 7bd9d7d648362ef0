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
import re
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
_TOKEN = re.compile(r"[a-z0-9]+")
_PERCENTILE = re.compile(r"p\d{2,3}|max|percentile|quantile|q\d{2,3}")


@dataclass(frozen=True)
class Traffic:
    """One CI's load series (the tenant's most common load metric) and its usual level."""

    metric: str
    step_id: str | None
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
            out[s.ci] = Traffic(s.metric, s.step_id, s.times, s.values, max(0.0, median(past)))
    return out


def impact_factors(
    dets: Mapping[str, list[Detection]], traffic: Mapping[str, Traffic], focus: str | None
) -> dict[str, float]:
    """Per candidate: ``max(floor, sqrt(share))``, its share being its impact over the
    largest impact on the same metric, on the metrics of its main (first) detection's family.

    Mean-type metrics are preferred: extra mean latency x requests is the total extra
    waiting, a percentile x requests is no total of anything. The focus (it is the symptom)
    and candidates without traffic or outside the impact families are left at 1.
    """
    impacts: dict[str, dict[str, float]] = {}
    for ci, found in dets.items():
        load = traffic.get(ci)
        if ci == focus or load is None or not found or found[0].family not in IMPACT_FAMILIES:
            continue
        same = [d for d in found if d.family == found[0].family]
        means = [d for d in same if not is_percentile(d.anomaly.metric)]
        impacts[ci] = {
            d.anomaly.metric: abs(d.delta) * load.during(d.onset_ts, d.end_ts)
            for d in (means or same)
        }
    best: dict[str, float] = {}
    for per_metric in impacts.values():
        for metric, value in per_metric.items():
            best[metric] = max(best.get(metric, 0.0), value)
    out: dict[str, float] = {}
    for ci, per_metric in impacts.items():
        share = max(v / best[m] if best[m] > 0.0 else 1.0 for m, v in per_metric.items())
        out[ci] = max(_FLOOR, math.sqrt(share))
    return out


def is_percentile(metric: str) -> bool:
    """``latency_p95``, ``duration.p99``, ``rt_max``: a tail statistic, not a mean."""
    return any(_PERCENTILE.fullmatch(tok) for tok in _TOKEN.findall(metric.lower()))
