"""The analysis's faster equivalents give exactly what the plain forms give."""

from __future__ import annotations

import statistics

from hypothesis import given
from hypothesis import strategies as st

from opsflow.analysis.impact import Traffic
from opsflow.analysis.robust import _sorted_deviations
from opsflow.analysis.series import sorted_median

finite = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e12, max_value=1e12)


@given(st.lists(finite, min_size=1, max_size=60))
def test_sorted_median_is_the_median(values: list[float]) -> None:
    assert sorted_median(sorted(values)) == statistics.median(values)


@given(st.lists(finite, max_size=60), finite)
def test_sorted_deviations_are_the_sorted_absolute_deviations(
    values: list[float], center: float
) -> None:
    fast = _sorted_deviations(sorted(values), center)
    plain = sorted(abs(v - center) for v in values)
    # Equal as numbers (a zero's sign may differ: it cannot reach the scale).
    assert fast == plain


@given(
    st.lists(st.tuples(st.integers(0, 10_000), finite), max_size=40),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)
def test_traffic_windows_by_bisection_match_a_scan(
    points: list[tuple[int, float]], a: int, b: int
) -> None:
    points.sort(key=lambda p: p[0])
    times = [float(t) for t, _ in points]
    values = [v for _, v in points]
    traffic = Traffic(metric="requests", step_id=None, times=times, values=values, usual=1.0)
    start, end = float(min(a, b)), float(max(a, b))
    scanned = [v for t, v in zip(times, values, strict=True) if start <= t <= end]
    expected = max(0.0, statistics.median(scanned)) if scanned else 1.0
    assert traffic.during(start, end) == expected
