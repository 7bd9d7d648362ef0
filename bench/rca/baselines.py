"""Peer rankers, the floor OpsFlow's ranking is measured against (issue 13, item 2).

Pure functions over the product's own models, fed by ``bench.rca.observed`` with exactly
the tool outputs the workflow's ``analyze`` activity received for a question:

* ``baro_ranking``: RCAEval's ``baro`` (BARO, Pham et al., FSE 2024): each metric series is
  scaled by a robust scaler fitted on its points before the reference time (median and
  inter-quartile range, as sklearn's ``RobustScaler``), its score is the largest scaled
  point at or after the reference time (a bucket that reaches it counts as after), series
  are ranked by score, and a CI's rank is the first position of any of its series.
* ``latest_change_ranking``: the most recent deploy / config change at or before the
  reference time on a CI of the asked CI's dependency closure, then the next, ...

Nothing here reads a clock, a database or a setting: same input, same ranking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from opsflow.models import EdgeRecord, EventRecord, MetricSeries
from opsflow.utc import epoch


class Peer(StrEnum):
    """The peer rankers, by the name the figures use."""

    BARO = "baro"
    LATEST_CHANGE = "latest_change"


# The product's change kinds (opsflow.analysis.changes.CHANGE_KINDS, not imported: the
# analysis is being rewritten and this floor must not move with it).
CHANGE_KINDS = frozenset({"deploy", "config_change"})


@dataclass(frozen=True)
class SeriesScore:
    ci: str
    metric: str
    score: float


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """numpy's default (``linear``) percentile of already sorted values, ``q`` in [0, 100]."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    frac = pos - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * frac


def robust_center_scale(values: Iterable[float]) -> tuple[float, float]:
    """sklearn ``RobustScaler`` defaults: centre = median, scale = IQR (25th-75th), and a
    scale of 0 becomes 1 (``_handle_zeros_in_scale``), so a flat baseline scores the raw
    distance from its level."""
    ordered = sorted(values)
    center = percentile(ordered, 50.0)
    scale = percentile(ordered, 75.0) - percentile(ordered, 25.0)
    return center, (scale if scale != 0.0 else 1.0)


def baro_series_score(series: MetricSeries, split_s: float) -> float | None:
    """Largest robust-scaled point at or after ``split_s``; None when the series has no
    finite point before it (nothing to fit) or none at or after it (nothing to score).

    A point stands for its bucket ``[t, t + bucket_s)``: it is on the "after" side when
    its bucket reaches ``split_s``. On a bucket boundary this is RCAEval's
    ``time >= split``; elsewhere the split does not depend on how the bucket grid happens
    to align with the reference time (a question asked at 09:55 over 120-second buckets
    starting at 09:54 still has a point to score: the bucket holding 09:55).
    """
    width = float(series.bucket_s)
    before: list[float] = []
    after: list[float] = []
    for t, v in zip(series.epoch_s, series.values, strict=True):
        if math.isfinite(v):
            (after if t + width > split_s else before).append(v)
    if not before or not after:
        return None
    center, scale = robust_center_scale(before)
    return max((v - center) / scale for v in after)


def baro_scores(series: Iterable[MetricSeries], reference: datetime) -> list[SeriesScore]:
    """Every scorable series, highest score first (ties: CI then metric name, so the
    order never depends on the order the tool returned the series in)."""
    split_s = epoch(reference)
    scored = []
    for s in series:
        score = baro_series_score(s, split_s)
        if score is not None:
            scored.append(SeriesScore(s.ci, s.metric, score))
    return sorted(scored, key=lambda x: (-x.score, x.ci, x.metric))


def baro_ranking(series: Iterable[MetricSeries], reference: datetime) -> list[str]:
    """CIs in order of their best series' BARO score, each once."""
    return dedupe(s.ci for s in baro_scores(series, reference))


def dependency_closure(edges: Iterable[EdgeRecord], asked: str) -> set[str]:
    """The asked CI and every CI it depends on, directly or transitively (an edge's
    ``source`` depends on its ``target``). Names compare case-insensitively, as the
    product resolves the asked CI; the closure holds the edges' own spelling."""
    targets: dict[str, set[str]] = {}
    for e in edges:
        targets.setdefault(e.source.lower(), set()).add(e.target)
    seen = {asked.lower()}
    closure = {asked}
    frontier = [asked]
    while frontier:
        ci = frontier.pop()
        for nxt in targets.get(ci.lower(), ()):
            if nxt.lower() not in seen:
                seen.add(nxt.lower())
                closure.add(nxt)
                frontier.append(nxt)
    return closure


def latest_change_ranking(
    events: Iterable[EventRecord],
    edges: Iterable[EdgeRecord],
    asked: str,
    reference: datetime,
) -> list[str]:
    """CIs of the asked CI's dependency closure by their most recent change event at or
    before ``reference``, newest first (ties: CI name). Empty when there is no change."""
    members = {ci.lower() for ci in dependency_closure(edges, asked)}
    ref_s = epoch(reference)
    changes = [
        (epoch(ev.ts), ev.ci)
        for ev in events
        if ev.kind in CHANGE_KINDS and ev.ci and ev.ci.lower() in members and epoch(ev.ts) <= ref_s
    ]
    changes.sort(key=lambda c: (-c[0], c[1]))
    return dedupe(ci for _, ci in changes)


def dedupe(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out
