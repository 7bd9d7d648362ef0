"""The focus's symptom: the question's family, and a lone 5-minute row when it is clear."""

from __future__ import annotations

from datetime import timedelta

from opsflow.analysis import analyze
from opsflow.models import MetricSeries
from tests.unit.analysis.synth import REF, analysis_input, series

FIVE_MIN = 300


def _spike_at(minutes_before_ref: int, factor: float):
    at = REF - timedelta(minutes=minutes_before_ref)
    return lambda ts: factor if ts == at else 1.0


def _dependency_trouble() -> MetricSeries:
    return series(
        "db", "latency_avg", seed=2, step_s=FIVE_MIN, hours=8.0, shift_from_min=10, shift_factor=3.0
    )


def _availability_blip(level: float = 100.0) -> MetricSeries:
    # Pinned at 100 % with rare one-request dips, as healthy availability looks.
    stamps, values = [], []
    n = 8 * 12
    for k in range(n, -1, -1):
        dip = k in (70, 41, 17) or k == 1
        stamps.append((REF - timedelta(seconds=k * FIVE_MIN)).timestamp())
        values.append(level - (1.5 if dip else 0.0))
    return MetricSeries(
        ci="front", metric="availability", epoch_s=stamps, values=values, bucket_s=FIVE_MIN
    )


def _ask(front: list[MetricSeries], intent: str):
    return analyze(
        analysis_input(
            [*front, _dependency_trouble()], edges=[("front", "db")], focus="front", intent=intent
        )
    )


def test_lone_clear_latency_row_confirms_the_focus_symptom():
    # One 5-minute row at 3x: not "sustained", but the question says front is slow.
    front = series(
        "front", "latency_avg", seed=1, step_s=FIVE_MIN, hours=8.0, shape=_spike_at(5, 3.0)
    )
    findings = _ask([front], "why_slow")
    assert [rc.ci for rc in findings.root_causes][:1] == ["db"]


def test_small_lone_row_does_not():
    front = series(
        "front", "latency_avg", seed=1, step_s=FIVE_MIN, hours=8.0, shape=_spike_at(5, 1.12)
    )
    findings = _ask([front], "why_slow")
    assert findings.root_causes == []
    assert any("front shows no anomaly" in n for n in findings.notes)


def test_availability_blip_is_no_slowness():
    front_latency = series("front", "latency_avg", seed=1, step_s=FIVE_MIN, hours=8.0)
    blip = _availability_blip()
    slow = _ask([front_latency, blip], "why_slow")
    assert slow.root_causes == []
    assert any("(latency/unknown)" in n for n in slow.notes)


def test_lone_dip_on_a_pinned_series_is_no_symptom():
    # One failed request in hundreds reads as a huge z on a series pinned at 100 %.
    front_latency = series("front", "latency_avg", seed=1, step_s=FIVE_MIN, hours=8.0)
    failing = _ask([front_latency, _availability_blip()], "why_failing")
    assert failing.root_causes == []


def test_lone_dip_on_a_pinned_series_counts_when_a_dependency_fails_at_that_sample():
    front_latency = series("front", "latency_avg", seed=1, step_s=FIVE_MIN, hours=8.0)
    db_failing = series(
        "db",
        "availability",
        level=99.9,
        noise=0.0005,
        seed=5,
        step_s=FIVE_MIN,
        hours=8.0,
        shift_from_min=7,
        shift_factor=0.9,
    )
    blip = _availability_blip()
    findings = analyze(
        analysis_input(
            [front_latency, blip, db_failing],
            edges=[("front", "db")],
            focus="front",
            intent="why_failing",
        )
    )
    assert [rc.ci for rc in findings.root_causes][:1] == ["db"]
