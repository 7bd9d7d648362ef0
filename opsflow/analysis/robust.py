"""Robust baselines: median/MAD scale and a daily seasonal profile.

Pure functions over plain floats (epoch seconds and values) so the hot loops never
touch pydantic objects or datetimes.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from statistics import median

from opsflow.analysis.series import sorted_median

# 1.4826 * MAD estimates the standard deviation of normal data; 1.2533 * mean absolute
# deviation does too and stays non-zero when more than half the values are identical
# (availability pinned at 100 %, error counts at 0), where MAD collapses to 0.
_MAD_TO_SIGMA = 1.4826
_MEANAD_TO_SIGMA = 1.2533
# Floors on the scale, relative to the level and absolute, so a perfectly flat history
# cannot turn a rounding difference into an infinite z-score.
_REL_SCALE_FLOOR = 1e-3
_ABS_SCALE_FLOOR = 1e-9
_DAY_S = 86400.0
_TRIM_DIVISOR = 50  # drop the top 1/50 = 2 % of deviations


def robust_scale(values: list[float], center: float, level: float) -> float:
    return _scale_of(sorted([abs(v - center) for v in values]), level)


def _sorted_deviations(ordered: list[float], center: float) -> list[float]:
    """``sorted(|v - center|)`` for ``ordered`` ascending, without ``abs`` or a full sort:
    below the center ``center - v`` rises as ``v`` falls, above it ``v - center`` rises, so
    the two runs need one merge. Rounding is symmetric in sign, so ``center - v`` is
    exactly ``abs(v - center)`` for ``v < center``: the same floats as ``robust_scale``
    sorts, but for the sign of a zero (``-0.0 - 0.0``), which cannot reach the scale: a
    zero MAD or mean deviation loses to the positive floors whatever its sign."""
    mid = bisect_left(ordered, center)
    deviations = [center - v for v in reversed(ordered[:mid])]
    deviations += [v - center for v in ordered[mid:]]
    deviations.sort()
    return deviations


def _scale_of(deviations: list[float], level: float) -> float:
    """The robust scale from the sorted absolute deviations from the center."""
    n = len(deviations)
    if n == 0:
        return max(_REL_SCALE_FLOOR * abs(level), _ABS_SCALE_FLOOR)
    mad = deviations[n // 2] if n % 2 else (deviations[n // 2 - 1] + deviations[n // 2]) / 2.0
    # The mean absolute deviation without the largest 2 %: one past outage in the history
    # (availability at 40 %) must not set the scale for all of it.
    kept = deviations[: max(1, n - n // _TRIM_DIVISOR)]
    mean_ad = math.fsum(kept) / len(kept)
    return max(
        _MAD_TO_SIGMA * mad,
        _MEANAD_TO_SIGMA * mean_ad,
        _REL_SCALE_FLOOR * abs(level),
        _ABS_SCALE_FLOOR,
    )


def pinned(values: list[float]) -> bool:
    """More than half the values sit exactly at the median (availability at 100 %, errors
    at 0): the MAD is 0 and the scale rests on rare departures, so a single departure
    reads as a large z without being unusual for the series."""
    if not values:
        return False
    center = median(values)
    return sum(1 for v in values if v == center) * 2 > len(values)


@dataclass(frozen=True)
class Baseline:
    """Expected value at a time, and the robust spread of deviations from it."""

    level: float  # overall median of the baseline points
    scale: float
    # Seasonal profile: median per time-of-day bin; empty when the baseline is flat.
    bin_s: float
    profile: tuple[float | None, ...]

    @property
    def seasonal(self) -> bool:
        return bool(self.profile)

    def expected(self, ts: float) -> float:
        if not self.profile:
            return self.level
        return _interpolate(self.profile, self.bin_s, ts, self.level)

    def expected_range(self, ts: float) -> tuple[float, float]:
        """Lowest and highest plausible expected value at ``ts``.

        Interpolating between bin centres suits smooth daily curves but blurs a sharp
        daily step (traffic at 09:00 sharp); the bin's own median suits the step. A
        point is judged against whichever is closer, so neither shape is a false alarm.
        """
        if not self.profile:
            return self.level, self.level
        smooth = _interpolate(self.profile, self.bin_s, ts, self.level)
        own = self.profile[int((ts % _DAY_S) // self.bin_s) % len(self.profile)]
        if own is None:
            return smooth, smooth
        return min(smooth, own), max(smooth, own)


def flat_baseline(values: list[float]) -> Baseline:
    # One sort of the history serves its median and its deviations.
    ordered = sorted(values)
    center = sorted_median(ordered)
    return Baseline(center, _scale_of(_sorted_deviations(ordered, center), center), 0.0, ())


def build_baseline(
    times: list[float],
    values: list[float],
    *,
    seasonal_min_span_s: float,
    bin_s: float,
    seasonal_gain: float,
) -> Baseline:
    """Flat median/MAD baseline, or a daily profile when the history supports one.

    The seasonal model is kept only if its residuals are clearly tighter than the raw
    spread: with two or three days of history a profile of pure noise would otherwise
    be "fitted" and the recent window compared against noise.
    """
    flat = flat_baseline(values)
    if len(times) < 2 or times[-1] - times[0] <= seasonal_min_span_s:
        return flat
    bins = _day_bins(times, bin_s)
    profile = _daily_profile(bins, values, bin_s)
    residuals = _residuals(profile, bin_s, bins, times, values, flat.level)
    r_center = median(residuals)
    r_scale = robust_scale(residuals, r_center, flat.level)
    if r_scale >= seasonal_gain * flat.scale:
        return flat
    # The profile's residual median is ~0 by construction; fold any offset into it.
    shifted = tuple(None if p is None else p + r_center for p in profile)
    return Baseline(flat.level, r_scale, bin_s, shifted)


def _day_bins(times: list[float], bin_s: float) -> list[tuple[int, int, float, int]]:
    """Contiguous runs of ``times`` (ascending) in one time-of-day bin of one day.

    Returns ``(lo, hi, bin_start_epoch, bin_index)``; working on slices keeps the
    per-point Python work to list comprehensions over the hot history.
    """
    out: list[tuple[int, int, float, int]] = []
    i, n = 0, len(times)
    while i < n:
        t = times[i]
        b = int((t % _DAY_S) // bin_s)
        start = t - (t % _DAY_S) + b * bin_s
        j = bisect_left(times, start + bin_s, i + 1)
        out.append((i, j, start, b))
        i = j
    return out


def _daily_profile(
    bins: list[tuple[int, int, float, int]], values: list[float], bin_s: float
) -> tuple[float | None, ...]:
    n_bins = max(1, round(_DAY_S / bin_s))
    buckets: list[list[float]] = [[] for _ in range(n_bins)]
    for lo, hi, _start, b in bins:
        buckets[b % n_bins].extend(values[lo:hi])
    return tuple(median(b) if b else None for b in buckets)


def _residuals(
    profile: tuple[float | None, ...],
    bin_s: float,
    bins: list[tuple[int, int, float, int]],
    times: list[float],
    values: list[float],
    default: float,
) -> list[float]:
    """``value - expected`` for every point, the same as :func:`_interpolate` but by slice.

    Within half a bin the expected value is linear in time, so each half-slice is one
    comprehension instead of a function call per point.
    """
    n = len(profile)
    centre = [default if p is None else p for p in profile]
    nxt = [centre[(b + 1) % n] for b in range(n)]
    # Empty bins fall back to their neighbour, then to the flat level.
    for b in range(n):
        if profile[b] is None and profile[(b + 1) % n] is not None:
            centre[b] = nxt[b]
        if profile[(b + 1) % n] is None:
            nxt[b] = centre[b]
    out: list[float] = []
    for lo, hi, start, b in bins:
        mid = bisect_left(times, start + bin_s / 2.0, lo, hi)
        # First half: between the previous bin's centre and this one's; second half:
        # between this centre and the next.
        for k, a, z in ((b - 1, lo, mid), (b, mid, hi)):
            if a == z:
                continue
            base = centre[k % n]
            slope = (nxt[k % n] - base) / bin_s
            t0 = start + (k - b + 0.5) * bin_s
            out.extend(
                [
                    v - (base + slope * (t - t0))
                    for t, v in zip(times[a:z], values[a:z], strict=True)
                ]
            )
    return out


def _interpolate(
    profile: tuple[float | None, ...], bin_s: float, ts: float, default: float
) -> float:
    # Linear interpolation between bin centres, so a smooth daily curve is not turned
    # into a staircase whose steps would look like small anomalies.
    n_bins = len(profile)
    pos = (ts % _DAY_S) / bin_s - 0.5
    lo = math.floor(pos)
    frac = pos - lo
    a = profile[lo % n_bins]
    b = profile[(lo + 1) % n_bins]
    if a is None and b is None:
        return default
    if a is None:
        return b if b is not None else default
    if b is None:
        return a
    return a + (b - a) * frac
