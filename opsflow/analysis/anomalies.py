"""Stage 2, detect: the most telling excursion of one series near the reference time.

A series is split into its baseline (the points before the recent window) and its recent
window (the question's window up to the reference time and the sampling lag after it).
Each recent point is judged against the baseline (flat median, or the daily profile when
seasonality is real) by its robust z-score and relative change in the metric's bad
direction. Every excursion is weighed by its strength, its duration and when it began
relative to the reference time; the best one is the series' detection. Nothing is dropped
silently: a short history is judged on what there is and carries its lower confidence.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from opsflow.analysis.config import AnalysisConfig, Rule
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
    severity: float  # 0.3..1, from the z-score and the relative change
    rel_change: float
    delta: float  # value - baseline at the peak, in the metric's unit
    onset_ts: float
    end_ts: float  # last point of the excursion
    # The excursion was already under way at the first point of the recent window, so
    # its real start is unknown and earlier than ``onset_ts``.
    censored: bool
    seasonal: bool
    # How plausible the excursion is as the trouble the question is about, from when it
    # began and whether it is still going at the reference time (0..1).
    timing: float
    lone: bool  # a single point, not a sustained excursion
    history_points: int  # baseline points it was judged against
    confidence: float  # 1 with a full baseline, lower on a short one

    @property
    def strength(self) -> float:
        """Severity in the bad direction, discounted for timing, a lone point and a short
        baseline: what a candidate is scored from."""
        lone = _LONE_FACTOR if self.lone else 1.0
        return self.severity * self.weight * self.timing * lone * self.confidence


# A lone point is weaker evidence than a sustained excursion (one bad scrape, one slow
# request at low traffic) but still evidence: 5-minute rows often hold a fault in one row.
_LONE_FACTOR = 0.7


@dataclass(frozen=True)
class Window:
    # Contiguous index ranges into the series: the baseline is a prefix, the recent window
    # follows it, so both are slices of the columns and never per-index lists.
    recent: range
    history: range
    short: bool  # fewer baseline points than ``min_history_points``


def split_window(series: SeriesData, ref_ts: float, cfg: AnalysisConfig) -> Window | None:
    """Baseline = the points before the recent window; only the past is a baseline.

    With less history than ``min_history_points`` (telemetry that began minutes ago) the
    baseline is the stretch before the series' most likely change point, down to
    ``min_short_history`` points: a thin baseline is a lower confidence, not a reason to
    say nothing.
    """
    times = series.times  # ascending
    first = bisect_left(times, ref_ts - cfg.recent_s)
    last = bisect_right(times, ref_ts + cfg.recent_after_s)
    if first >= cfg.min_history_points and last > first:
        return Window(range(first, last), range(first), short=False)
    if last < cfg.min_short_history + 1:
        return None
    cut = change_point(series.values[:last], cfg.min_short_history)
    return Window(range(cut, last), range(cut), short=True)


def change_point(values: list[float], min_before: int) -> int:
    """The split of ``values`` that best separates two levels: the index ``k`` (at least
    ``min_before``, one point after it at least) maximising |mean after - mean before| x
    sqrt(k (n - k) / n), the classic single change-point statistic (binary segmentation's
    first step), in O(n) with prefix sums."""
    n = len(values)
    total = math.fsum(values)
    best_k, best = min_before, -1.0
    acc = math.fsum(values[:min_before])
    for k in range(min_before, n):
        before, after = acc / k, (total - acc) / (n - k)
        stat = abs(after - before) * math.sqrt(k * (n - k) / n)
        if stat > best:
            best_k, best = k, stat
        acc += values[k]
    return best_k


def timing(
    onset_ts: float, end_ts: float, last_ts: float, ref_ts: float, step_s: float, tau_s: float
) -> float:
    """How plausible an excursion is as the trouble asked about, from its timing alone.

    The question is asked because something is wrong at the reference time, so its cause
    most likely began shortly before it: the weight decays with the onset's age,
    ``exp(-age / tau)``. An excursion that was over, with normal points after it, more
    than one sample before the reference time weighs half: the operator asks about what
    is wrong now.
    """
    weight = math.exp(-max(0.0, ref_ts - onset_ts) / tau_s)
    recovered = end_ts < ref_ts - step_s and last_ts > end_ts
    return weight * (_RECOVERED_FACTOR if recovered else 1.0)


_RECOVERED_FACTOR = 0.5


def detect(
    series: SeriesData, ref_ts: float, cfg: AnalysisConfig, window: Window | None = None
) -> Detection | None:
    """The most telling excursion of ``series`` in its recent window, if any."""
    window = window if window is not None else split_window(series, ref_ts, cfg)
    if window is None:
        return None
    hist, rec = window.history, window.recent
    hist_v = series.values[hist.start : hist.stop]
    baseline = build_baseline(
        series.times[hist.start : hist.stop],
        hist_v,
        seasonal_min_span_s=cfg.seasonal_min_span_s,
        bin_s=cfg.seasonal_bin_s,
        seasonal_gain=cfg.seasonal_gain,
    )
    profile = profile_for(series.metric)
    min_run = max(1, min(cfg.max_run_points, math.ceil(cfg.sustained_s / series.step_s)))
    confidence = min(1.0, math.sqrt(len(window.history) / cfg.min_history_points))
    rec_t = series.times[rec.start : rec.stop]
    rec_v = series.values[rec.start : rec.stop]
    if baseline.seasonal:
        # One expected range per recent point, shared by both directions.
        ranges = [baseline.expected_range(t) for t in rec_t]
        recent = _Recent(rec_t, rec_v, hist_v, [r[0] for r in ranges], [r[1] for r in ranges])
    else:
        recent = _Recent(rec_t, rec_v, hist_v)
    best: Detection | None = None
    for sign, weight in ((1.0, profile.up_weight), (-1.0, profile.down_weight)):
        if weight <= 0.0:
            continue
        found = _detect_direction(
            series,
            window,
            recent,
            baseline,
            profile,
            sign,
            weight,
            min_run,
            ref_ts,
            cfg,
            confidence,
        )
        if found is not None and (best is None or found.strength > best.strength):
            best = found
    return best


@dataclass(frozen=True)
class _Recent:
    """The recent window's columns, sliced once per series for both directions."""

    times: list[float]
    values: list[float]
    history: list[float]  # the baseline's values
    # Seasonal baselines only: the expected range at each recent point.
    lows: list[float] | None = None
    highs: list[float] | None = None

    def expecteds(self, sign: float, level: float) -> list[float]:
        """The expected value each point is judged against in the ``sign`` direction."""
        chosen = self.highs if sign > 0 else self.lows
        return chosen if chosen is not None else [level] * len(self.values)


def _detect_direction(
    series: SeriesData,
    window: Window,
    recent: _Recent,
    baseline: Baseline,
    profile: MetricProfile,
    sign: float,
    weight: float,
    min_run: int,
    ref_ts: float,
    cfg: AnalysisConfig,
    confidence: float,
) -> Detection | None:
    thr = cfg.z_threshold
    scale = baseline.scale
    values = recent.values
    # Most series have no point past the threshold, and then nothing below is a hit.
    if recent.highs is None:
        level = baseline.level
        # Against one level, z never decreases as the value moves in the bad direction
        # (rounding is monotonic, the scale positive): the most extreme value has the
        # largest z, so one subtraction and one division decide for the whole window.
        extreme = max(values) if sign > 0 else min(values)
        if sign * (extreme - level) / scale < thr:
            return None
        diffs = [sign * (v - level) for v in values]
        zs = [d / scale for d in diffs]
        expecteds = [level] * len(values)
    else:
        expecteds = recent.expecteds(sign, baseline.level)
        diffs = [sign * (v - e) for v, e in zip(values, expecteds, strict=True)]
        zs = [d / scale for d in diffs]
        # ``max`` is NaN only when the first z is; the full pass then decides.
        if max(zs) < thr:
            return None
    rels: list[float] = []
    for diff, expected in zip(diffs, expecteds, strict=True):
        denom = abs(expected)
        rels.append(diff / denom if denom > 0.0 else (math.inf if diff > 0 else 0.0))
    hit = [z >= thr and r >= profile.min_rel_change for z, r in zip(zs, rels, strict=True)]
    # Hysteresis: a point half-way out keeps an excursion going, so a noisy plateau
    # is one excursion with one onset rather than several.
    soft = [z >= thr / 2.0 for z in zs]
    last_ts = recent.times[-1]
    best: tuple[float, Detection] | None = None
    m = len(values)
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
        i = end + 1
        run_z = _robust_peak(zs[start : end + 1])
        # Sustained: the excursion (its half-way-out points included) lasts min_run points.
        lone = end - start + 1 < min_run
        if lone and max(zs[start : end + 1]) < cfg.lone_z_factor * thr:
            continue  # one point a little out: routine noise, not evidence
        if (
            cfg.on(Rule.SPIKE_BEYOND_HISTORY)
            and start == end
            and not _beyond_history(recent.history, values[start], sign)
        ):
            continue  # the baseline has already shown spikes as large: a routine one
        sev = _severity(
            max(run_z, thr) if not lone else max(zs[start : end + 1]),
            _robust_peak(rels[start : end + 1]) if not lone else max(rels[start : end + 1]),
            thr,
            profile.min_rel_change,
        )
        peak_pos = max(range(start, end + 1), key=lambda k: zs[k])
        onset_ts = recent.times[start]
        end_ts = recent.times[end]
        censored = start == 0 and not window.short
        age_ts = ref_ts - cfg.recent_s if censored else onset_ts
        when = (
            timing(age_ts, end_ts, last_ts, ref_ts, series.step_s, cfg.onset_tau_s)
            if cfg.on(Rule.ONSET_PRIOR)
            else 1.0
        )
        det = _detection(
            series,
            window.recent,
            peak_pos,
            start,
            expecteds[peak_pos],
            zs[peak_pos],
            min(rels[peak_pos], _Z_CAP),
            profile,
            sign,
            weight,
            sev,
            end_ts,
            censored,
            baseline.seasonal,
            when,
            lone,
            len(window.history),
            confidence,
        )
        if best is None or det.strength > best[0]:
            best = (det.strength, det)
    return None if best is None else best[1]


def _detection(
    series: SeriesData,
    recent: range,
    peak_pos: int,
    start: int,
    expected: float,
    z: float,
    rel: float,
    profile: MetricProfile,
    sign: float,
    weight: float,
    severity: float,
    end_ts: float,
    censored: bool,
    seasonal: bool,
    timing: float,
    lone: bool,
    history_points: int,
    confidence: float,
) -> Detection:
    peak_idx, onset_idx = recent[peak_pos], recent[start]
    value = series.values[peak_idx]
    anomaly = Anomaly(
        ci=series.ci,
        metric=series.metric,
        onset=series.stamp(onset_idx),
        peak=value,
        baseline=expected,
        deviation=round(min(z, _Z_CAP), 2),
        direction="up" if sign > 0 else "down",
        step_id=series.step_id,
    )
    return Detection(
        anomaly=anomaly,
        family=profile.family,
        weight=weight,
        severity=severity,
        rel_change=rel,
        delta=value - expected,
        onset_ts=series.times[onset_idx],
        end_ts=end_ts,
        censored=censored,
        seasonal=seasonal,
        timing=timing,
        lone=lone,
        history_points=history_points,
        confidence=confidence,
    )


def _beyond_history(history: list[float], value: float, sign: float) -> bool:
    """A one-point excursion is evidence only if it is further out than every baseline
    point: a robust scale ignores a baseline's own rare spikes, so a spike like them is
    routine, however long the sample it fills."""
    # max(sign * v) without a pass per sign: negation is exact, so -min(v) == max(-v).
    worst = max(history) if sign > 0 else -min(history)
    return sign * value > worst


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
