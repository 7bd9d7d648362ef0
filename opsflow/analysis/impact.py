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
from bisect import bisect_left, bisect_right
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
_PER_SECOND = re.compile(r"(^|[^a-z])(rps|qps|tps)([^a-z]|$)|per_?s(ec(ond)?)?|/s")
# A failure ratio over n requests is known only to about 1/sqrt(n): below this many requests
# (all failing: failure rate > 72 % at 95 % confidence) an availability or error excursion
# is weighed by its share of them.
MIN_RATIO_REQUESTS = 10.0
# The top 5 % of requests make a 95th percentile: a CI touching fewer moves none of it.
REACH_SHARE = 0.05
RATIO_FAMILIES = frozenset({"availability", "errors"})
_PERCENTILE = re.compile(r"p\d{2,3}|max|percentile|quantile|q\d{2,3}")


@dataclass(frozen=True)
class Traffic:
    """One CI's load series (the tenant's most common load metric) and its usual level."""

    metric: str
    step_id: str | None
    times: list[float]  # ascending (a series's): windows are found by bisection
    values: list[float]
    usual: float  # median before the recent window

    def requests(self, start: float, end: float, step_s: float) -> float:
        """Requests served over ``[start, end + step_s)``: a per-second rate times the
        duration, or the sum of per-sample counts."""
        if _PER_SECOND.search(self.metric.lower()):
            return self.during(start, end) * (end - start + step_s)
        return sum(self._inside(start, end))

    def during(self, start: float, end: float) -> float:
        inside = self._inside(start, end)
        return max(0.0, median(inside)) if inside else self.usual

    def _inside(self, start: float, end: float) -> list[float]:
        """The values stamped in ``[start, end]``, in time order (``times`` ascends)."""
        return self.values[bisect_left(self.times, start) : bisect_right(self.times, end)]


def traffic_of(series: list[SeriesData], before_ts: float) -> dict[str, Traffic]:
    """Traffic per CI. Only the load metric most CIs report is used: one unit for all."""
    load = [s for s in series if classify(s.metric) == "load"]
    counts = Counter(s.metric for s in load)
    if not counts:
        return {}
    metric = min(counts, key=lambda m: (-counts[m], m))
    out: dict[str, Traffic] = {}
    for s in load:
        if s.metric != metric:
            continue
        past = s.values[: bisect_left(s.times, before_ts)]  # ``times`` ascends
        if past:
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
        # No requests met any excursion on this metric: no waiting, no failures at all.
        share = max(v / best[m] if best[m] > 0.0 else 0.0 for m, v in per_metric.items())
        out[ci] = max(_FLOOR, math.sqrt(share))
    return out


def is_percentile(metric: str) -> bool:
    """``latency_p95``, ``duration.p99``, ``rt_max``: a tail statistic, not a mean."""
    return any(_PERCENTILE.fullmatch(tok) for tok in _TOKEN.findall(metric.lower()))


def ratio_support(det: Detection, load: Traffic | None, step_s: float) -> float:
    """How much an availability or error-ratio excursion can be trusted, from the requests
    behind it: 2 failed requests of 2 are an outage of nothing much. 1 without traffic data
    (missing data must not read as "small") and for every other family."""
    if load is None or det.family not in RATIO_FAMILIES:
        return 1.0
    return min(1.0, load.requests(det.onset_ts, det.end_ts, step_s) / MIN_RATIO_REQUESTS)


def reach_factor(ci: str, focus: str | None, traffic: Mapping[str, Traffic]) -> float:
    """How much of the asked CI's traffic a candidate can touch: one that serves under
    ``REACH_SHARE`` of the asked CI's requests touches too few of them to move its 95th
    percentile or its average, whatever happens to it: ``max(floor, share / 5 %)``;
    1 for the focus itself and where either has no traffic series."""
    if focus is None or ci == focus:
        return 1.0
    own, asked = traffic.get(ci), traffic.get(focus)
    if own is None or asked is None or asked.usual <= 0.0:
        return 1.0
    share = max(own.usual, own.during(-math.inf, math.inf)) / asked.usual
    return max(_FLOOR, min(1.0, share / REACH_SHARE))
