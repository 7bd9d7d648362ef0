"""Anomaly detection of one series against its baseline (robust z + relative change).

The recent window is compared point by point with the expected value (flat median,
or the daily profile when seasonality is real); an anomaly is a *sustained*
excursion in a bad direction, and its onset is the first point of that excursion.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from opsflow.analysis.config import AnalysisConfig
from opsflow.analysis.metrics import Family, MetricProfile, profile_for
from opsflow.analysis.robust import Baseline, build_baseline
from opsflow.analysis.series import SeriesData
from opsflow.models.findings import Anomaly

# Reported deviations are capped: a near-constant history yields absurd z-scores
# (1e9) that mean nothing more than "very far off" to a reader or a ranking.
_Z_CAP = 999.0
# Severity saturates at z = threshold * 50 and at 100x the minimum relative change.
_Z_SPAN = math.log(50.0)
_REL_SPAN = math.log(100.0)


@dataclass(frozen=True)
class Detection:
    """An anomaly plus what ranking needs and the public model does not carry."""

    anomaly: Anomaly
    family: Family
    weight: float  # how bad this direction is for this metric (0..1)
    severity: float  # 0..1, from the z-score and the relative change
    rel_change: float
    delta: float  # value - baseline at the peak, in the metric's unit
    onset_ts: float
    end_ts: float  # last point of the excursion
    # The excursion was already under way at the first point of the recent window, so
    # its real start is unknown and earlier than ``onset_ts``.
    censored: bool
    seasonal: bool


@dataclass(frozen=True)
class Window:
    recent: list[int]  # indices into the series
    history: list[int]


def split_window(series: SeriesData, ref_ts: float, cfg: AnalysisConfig) -> Window | None:
    times = series.times  # ascending
    first = bisect_left(times, ref_ts - cfg.recent_s)
    last = bisect_right(times, ref_ts + cfg.recent_after_s)
    recent = list(range(first, last))
    # Points outside the recent window are all baseline, including any later than it:
    # median/MAD and a time-of-day profile do not depend on order, and an imported
    # history is sometimes stamped after the incident it serves as reference for.
    history = [*range(first), *range(last, len(times))]
    if len(history) >= cfg.min_history_points and recent:
        return Window(recent, history)
    # Short series (a tool returned only the last hour or two): judge the last third
    # against the first two thirds rather than skip it.
    if last < cfg.min_history_points + 1:
        return None
    cut = times[0] + (times[last - 1] - times[0]) * 2.0 / 3.0
    split = bisect_right(times, cut, 0, last)
    if split < cfg.min_history_points or split >= last:
        return None
    return Window(list(range(split, last)), list(range(split)))


def detect(
    series: SeriesData, ref_ts: float, cfg: AnalysisConfig, window: Window | None = None
) -> Detection | None:
    """The worst sustained excursion of ``series`` in its recent window, if any.

    Short series simply have no detection; callers that need to tell "normal" from
    "not judged" call :func:`split_window` first and pass its window in.
    """
    window = window if window is not None else split_window(series, ref_ts, cfg)
    if window is None:
        return None
    hist_t = [series.times[i] for i in window.history]
    hist_v = [series.values[i] for i in window.history]
    baseline = build_baseline(
        hist_t,
        hist_v,
        seasonal_min_span_s=cfg.seasonal_min_span_s,
        bin_s=cfg.seasonal_bin_s,
        seasonal_gain=cfg.seasonal_gain,
    )
    profile = profile_for(series.metric)
    min_run = max(1, min(cfg.max_run_points, math.ceil(cfg.sustained_s / series.step_s)))
    best: Detection | None = None
    for sign, weight in ((1.0, profile.up_weight), (-1.0, profile.down_weight)):
        if weight <= 0.0:
            continue
        found = _detect_direction(
            series, window.recent, baseline, profile, sign, weight, min_run, cfg
        )
        if found is not None and (
            best is None or found.weight * found.severity > best.weight * best.severity
        ):
            best = found
    return best


def _detect_direction(
    series: SeriesData,
    recent: list[int],
    baseline: Baseline,
    profile: MetricProfile,
    sign: float,
    weight: float,
    min_run: int,
    cfg: AnalysisConfig,
) -> Detection | None:
    thr = cfg.z_threshold
    zs: list[float] = []
    rels: list[float] = []
    expecteds: list[float] = []
    for i in recent:
        low, high = baseline.expected_range(series.times[i])
        expected = high if sign > 0 else low
        expecteds.append(expected)
        diff = sign * (series.values[i] - expected)
        zs.append(diff / baseline.scale)
        denom = abs(expected)
        rels.append(diff / denom if denom > 0.0 else (math.inf if diff > 0 else 0.0))
    hit = [z >= thr and r >= profile.min_rel_change for z, r in zip(zs, rels, strict=True)]
    # Hysteresis: a point half-way out keeps an excursion going, so a noisy plateau
    # is one excursion with one onset rather than several.
    soft = [z >= thr / 2.0 for z in zs]
    best: tuple[float, int, int] | None = None  # (severity, start, end)
    m = len(recent)
    i = 0
    while i < m:
        if not hit[i]:
            i += 1
            continue
        start = i
        # The excursion usually starts a point or two before it crosses the threshold.
        while start > 0 and i - start < 2 and soft[start - 1] and not hit[start - 1]:
            start -= 1
        end = i
        while end + 1 < m and soft[end + 1]:
            end += 1
        n_hits = sum(hit[start : end + 1])
        run_z = _robust_peak(zs[start : end + 1])
        sustained = n_hits >= min_run or (end == m - 1 and run_z >= 2.0 * thr)
        if sustained:
            sev = _severity(run_z, _robust_peak(rels[start : end + 1]), thr, profile.min_rel_change)
            if best is None or sev > best[0]:
                best = (sev, start, end)
        i = end + 1
    if best is None:
        return None
    sev, start, end = best
    peak_pos = max(range(start, end + 1), key=lambda k: zs[k])
    peak_idx, onset_idx = recent[peak_pos], recent[start]
    expected = expecteds[peak_pos]
    value = series.values[peak_idx]
    anomaly = Anomaly(
        ci=series.ci,
        metric=series.metric,
        onset=series.stamp(onset_idx),
        peak=value,
        baseline=expected,
        deviation=round(min(zs[peak_pos], _Z_CAP), 2),
        direction="up" if sign > 0 else "down",
        step_id=series.step_id,
    )
    return Detection(
        anomaly=anomaly,
        family=profile.family,
        weight=weight,
        severity=sev,
        rel_change=min(rels[peak_pos], _Z_CAP),
        delta=value - expected,
        onset_ts=series.times[onset_idx],
        end_ts=series.times[recent[end]],
        censored=start == 0,
        seasonal=baseline.seasonal,
    )


def _robust_peak(xs: list[float]) -> float:
    # The second largest value of a run: one wild point should not set its strength.
    if len(xs) < 2:
        return xs[0]
    top = sorted(xs, reverse=True)
    return top[1]


def _severity(z: float, rel: float, thr: float, min_rel: float) -> float:
    z_part = min(1.0, max(0.0, math.log(max(z, thr) / thr) / _Z_SPAN))
    rel_part = (
        1.0
        if math.isinf(rel)
        else min(1.0, max(0.0, math.log(max(rel, min_rel) / min_rel) / _REL_SPAN))
    )
    # A floor of 0.3: anything that passed both thresholds is a real finding.
    return 0.3 + 0.35 * z_part + 0.35 * rel_part
