"""The peer rankers (BARO, latest change in the closure) on small fixed inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.rca.baselines import (
    baro_ranking,
    baro_scores,
    baro_series_score,
    dependency_closure,
    latest_change_ranking,
    percentile,
    robust_center_scale,
)
from opsflow.models import EdgeRecord, EventRecord, MetricSeries
from opsflow.utc import epoch

REF = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
REF_S = epoch(REF)


def _series(ci: str, metric: str, before: list[float], after: list[float]) -> MetricSeries:
    """One point a minute: ``before`` ends one minute before REF, ``after`` starts at REF."""
    stamps = [REF_S - 60.0 * (len(before) - i) for i in range(len(before))]
    stamps += [REF_S + 60.0 * i for i in range(len(after))]
    return MetricSeries(ci=ci, metric=metric, epoch_s=stamps, values=before + after)


def test_percentile_matches_numpy_linear() -> None:
    # numpy.percentile([1, 2, 3, 4], [25, 50, 75]) == [1.75, 2.5, 3.25]
    values = [1.0, 2.0, 3.0, 4.0]
    assert [percentile(values, q) for q in (25, 50, 75)] == [1.75, 2.5, 3.25]
    assert percentile([7.0], 75) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_robust_scale_is_median_and_iqr_and_zero_iqr_becomes_one() -> None:
    assert robust_center_scale([4.0, 1.0, 3.0, 2.0]) == (2.5, 1.5)
    assert robust_center_scale([5.0, 5.0, 5.0]) == (5.0, 1.0)


def test_series_score_is_the_largest_scaled_point_at_or_after_the_reference() -> None:
    s = _series("a", "cpu", [1.0, 2.0, 3.0, 4.0], [2.5, 8.5, 4.0])
    # (8.5 - 2.5) / 1.5
    assert baro_series_score(s, REF_S) == pytest.approx(4.0)
    # Signed, not absolute: a drop scores below zero (RCAEval takes max, not max |z|).
    drop = _series("a", "rps", [10.0, 10.0, 12.0, 12.0], [0.0])
    # median 11, IQR 12 - 10 = 2
    assert baro_series_score(drop, REF_S) == pytest.approx((0.0 - 11.0) / 2.0)


def test_a_bucket_that_reaches_the_reference_time_is_on_the_after_side() -> None:
    # 120-second buckets starting 4 and 2 minutes before REF and at REF; asked one minute
    # after REF, the last bucket [REF, REF + 120) holds the reference time.
    s = MetricSeries(
        ci="a",
        metric="cpu",
        epoch_s=[REF_S - 240, REF_S - 120, REF_S],
        values=[1.0, 1.0, 9.0],
        bucket_s=120,
    )
    assert baro_series_score(s, REF_S + 60) == pytest.approx(8.0)
    # Asked at the end of the last bucket: nothing at or after it to score.
    assert baro_series_score(s, REF_S + 120) is None
    # On a bucket boundary: RCAEval's ``time >= reference``.
    raw = _series("a", "cpu", [1.0, 1.0], [5.0])
    assert baro_series_score(raw, REF_S) == pytest.approx(4.0)
    assert baro_series_score(raw, REF_S + 60) is None


def test_series_without_a_side_is_not_scored() -> None:
    assert baro_series_score(_series("a", "cpu", [], [5.0]), REF_S) is None
    assert baro_series_score(_series("a", "cpu", [1.0, 2.0], []), REF_S) is None
    nan_only = _series("a", "cpu", [float("nan")], [3.0])
    assert baro_series_score(nan_only, REF_S) is None


def test_ranking_takes_each_ci_at_its_best_series_once() -> None:
    series = [
        _series("db", "latency", [10.0, 11.0, 10.0, 11.0], [12.0]),  # (12-10.5)/0.5 = 3
        _series("api", "latency", [100.0, 100.0], [400.0]),  # flat: (400-100)/1 = 300
        _series("db", "cpu", [1.0, 2.0, 1.0, 2.0], [60.0]),  # (60-1.5)/0.5 = 117
        _series("cache", "cpu", [1.0, 2.0, 1.0, 2.0], [1.0]),  # -1
        _series("lonely", "cpu", [], [99.0]),  # no baseline: not ranked
    ]
    scores = baro_scores(series, REF)
    assert [(s.ci, s.metric) for s in scores] == [
        ("api", "latency"),
        ("db", "cpu"),
        ("db", "latency"),
        ("cache", "cpu"),
    ]
    assert baro_ranking(series, REF) == ["api", "db", "cache"]
    # Input order does not change the answer.
    assert baro_ranking(list(reversed(series)), REF) == ["api", "db", "cache"]


def test_ties_break_by_name_not_input_order() -> None:
    a = _series("b-svc", "cpu", [1.0, 1.0], [3.0])
    b = _series("a-svc", "cpu", [1.0, 1.0], [3.0])
    assert baro_ranking([a, b], REF) == ["a-svc", "b-svc"]


def _edge(source: str, target: str) -> EdgeRecord:
    return EdgeRecord(source=source, target=target)


EDGES = [
    _edge("web", "api"),
    _edge("api", "db"),
    _edge("api", "cache"),
    _edge("db", "host-1"),
    _edge("other", "db"),  # a caller of the closure, not in it
    _edge("db", "api"),  # a cycle must not loop
]


def test_closure_follows_dependencies_not_callers() -> None:
    assert dependency_closure(EDGES, "api") == {"api", "db", "cache", "host-1"}
    assert dependency_closure(EDGES, "WEB") == {"WEB", "api", "db", "cache", "host-1"}
    assert dependency_closure([], "alone") == {"alone"}


def _event(ci: str | None, minutes_before: float, kind: str = "deploy") -> EventRecord:
    return EventRecord(
        id=f"{ci}-{minutes_before}-{kind}",
        ci=ci,
        ts=REF - timedelta(minutes=minutes_before),
        kind=kind,
        severity="info",
        message="",
    )


def test_latest_change_ranks_closure_changes_newest_first() -> None:
    events = [
        _event("db", 50),
        _event("cache", 10, kind="config_change"),
        _event("db", 5),  # db's newest change puts it first
        _event("other", 1),  # not in web's closure
        _event("api", 2, kind="alert"),  # not a change
        _event("host-1", -3),  # after the reference time
        _event(None, 1),  # no CI
    ]
    assert latest_change_ranking(events, EDGES, "web", REF) == ["db", "cache"]
    # other -> db -> api (the cycle) -> cache
    assert latest_change_ranking(events, EDGES, "other", REF) == ["other", "db", "cache"]


def test_latest_change_is_empty_without_changes() -> None:
    assert latest_change_ranking([], EDGES, "web", REF) == []
    assert latest_change_ranking([_event("api", 1, kind="alert")], EDGES, "web", REF) == []
