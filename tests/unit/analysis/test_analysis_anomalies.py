"""Anomaly detection: direction, onset, seasonality and noise robustness."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opsflow.analysis import AnalysisConfig, analyze, classify
from opsflow.analysis.anomalies import Detection, detect
from opsflow.analysis.collect import collect
from opsflow.models import MetricSeries, RcaOutcome
from opsflow.utc import epoch
from tests.unit.analysis.synth import REF, analysis_input, series


def _anomalies(*all_series, **kw):
    return analyze(analysis_input(list(all_series), **kw)).anomalies


def _detection(s: MetricSeries) -> Detection | None:
    (data,) = collect(analysis_input([s]).outputs).series
    return detect(data, epoch(REF), AnalysisConfig())


def test_step_change_found_on_the_right_ci_with_onset():
    found = _anomalies(
        series("api", "latency_p95", seed=1, shift_from_min=20, shift_factor=2.0),
        series("db", "latency_p95", seed=2),
        series("cache", "latency_p95", seed=3),
    )
    assert [a.ci for a in found] == ["api"]
    anomaly = found[0]
    assert anomaly.direction == "up"
    assert anomaly.deviation > 4.0
    assert anomaly.peak > 1.5 * anomaly.baseline
    onset_error = abs(anomaly.onset - (REF - timedelta(minutes=20)))
    assert onset_error <= timedelta(minutes=3)


def test_availability_drop_is_bad():
    found = _anomalies(
        series(
            "web", "availability", level=99.9, noise=0.0005, shift_from_min=15, shift_factor=0.96
        )
    )
    assert len(found) == 1
    assert found[0].direction == "down"
    assert found[0].deviation > 0  # signed in the bad direction


def test_latency_drop_is_not_flagged_but_error_rise_is():
    found = _anomalies(
        series("api", "latency_p99", seed=4, shift_from_min=20, shift_factor=0.4),
        series("api", "error_rate", level=0.02, seed=5, shift_from_min=20, shift_factor=3.0),
    )
    assert [(a.metric, a.direction) for a in found] == [("error_rate", "up")]


@pytest.mark.parametrize("factor,direction", [(2.5, "up"), (0.3, "down")])
def test_unknown_metric_is_judged_both_ways(factor, direction):
    found = _anomalies(series("svc", "widget_flux", seed=6, shift_from_min=25, shift_factor=factor))
    assert [a.direction for a in found] == [direction]


def test_throughput_drop_is_flagged():
    found = _anomalies(series("lb", "rps", seed=7, shift_from_min=20, shift_factor=0.3))
    assert [a.direction for a in found] == ["down"]


def _daily_peak(ts):
    # A lunch-time peak: x2.5 between 13:00 and 15:00 every day.
    return 2.5 if 13 <= ts.hour < 15 else 1.0


def test_seasonal_daily_peak_is_not_flagged_with_several_days_of_history():
    peak = series("api", "latency_p95", hours=4 * 24, shape=_daily_peak, seed=8)
    assert _anomalies(peak) == []
    # Control: the same data judged against the flat history *is* an excursion, so the
    # test above passes because of the seasonal baseline, not by accident.
    flat = AnalysisConfig(seasonal_min_span_s=10 * 86400.0)
    inp = analysis_input([peak])
    assert [a.ci for a in analyze(inp, flat).anomalies] == ["api"]


def test_seasonal_baseline_still_catches_a_real_shift_at_peak_time():
    shifted = series(
        "api",
        "latency_p95",
        hours=4 * 24,
        shape=_daily_peak,
        seed=9,
        shift_from_min=30,
        shift_factor=1.8,
    )
    found = _anomalies(shifted)
    assert [a.ci for a in found] == ["api"]


@pytest.mark.parametrize("seed", range(10, 20))
def test_noisy_metric_without_shift_is_not_flagged(seed):
    assert _anomalies(series("api", "latency_p95", noise=0.3, seed=seed)) == []


def test_smooth_sine_with_noise_is_not_flagged():
    daily = series("db", "cpu", level=40.0, hours=3 * 24, daily_amplitude=0.5, seed=21)
    assert _anomalies(daily) == []


def test_single_spike_is_a_lone_point_that_weighs_less_than_a_shift():
    spike = series("api", "latency_p95", seed=22)
    spike.values[-10] = 500.0
    shift = series("api", "latency_p95", seed=22, shift_from_min=10, shift_factor=5.0)
    lone, sustained = _detection(spike), _detection(shift)
    assert lone is not None and lone.lone
    assert sustained is not None and not sustained.lone
    assert lone.strength < sustained.strength


def test_a_small_lone_point_is_noise():
    s = series("api", "latency_p95", seed=22)
    s.values[-10] = s.values[-11] * 1.3  # z ~ 6: over the threshold, under twice it
    assert _anomalies(s) == []


def test_too_few_points_are_skipped_with_a_note():
    inp = analysis_input([series("api", "latency_p95", hours=2 / 60)])  # 3 points
    findings = analyze(inp)
    assert findings.anomalies == []
    assert findings.diagnosis.series_skipped == 1
    assert findings.diagnosis.outcome == RcaOutcome.NOTHING_JUDGED
    assert any("too few points" in n for n in findings.notes)


def test_short_history_is_judged_with_lower_confidence():
    # Telemetry began 9 minutes ago; the last 3 points shifted (failure mode 3).
    s = series("api", "latency_p95", hours=0.15, shift_from_min=2, shift_factor=3.0, seed=5)
    det = _detection(s)
    assert det is not None and det.confidence < 1.0 and det.history_points < 12
    findings = analyze(analysis_input([s], focus="api"))
    assert findings.diagnosis.series_short == 1
    assert [rc.ci for rc in findings.root_causes] == ["api"]
    assert any("baseline points" in e.description for e in findings.root_causes[0].evidence)


def test_an_old_level_shift_weighs_less_than_a_fresh_onset():
    # Failure mode 4: a shift 50 minutes old vs one that began 5 minutes before the question.
    old = _detection(series("a", "latency_p95", seed=3, shift_from_min=50, shift_factor=3.0))
    fresh = _detection(series("b", "latency_p95", seed=4, shift_from_min=5, shift_factor=3.0))
    assert old is not None and fresh is not None
    assert fresh.timing > 2 * old.timing
    assert fresh.strength > old.strength


@pytest.mark.parametrize(
    "name,family",
    [
        ("latency_p95", "latency"),
        ("http_p99", "latency"),
        ("error_rate", "errors"),
        ("errors", "errors"),
        ("availability", "availability"),
        ("success_rate", "availability"),
        ("apdex", "availability"),
        ("rps", "load"),
        ("throughput", "load"),
        ("cpu", "saturation"),
        ("queue_depth", "saturation"),
        ("connections", "saturation"),
        ("disk_used", "saturation"),
        ("container_fs_writes_bytes_total", "saturation"),
        ("cartservice_diskio", "saturation"),
        ("container_memory_working_set_bytes", "saturation"),
        ("latency-90", "latency"),
        ("widget_flux", "unknown"),
    ],
)
def test_metric_families(name, family):
    assert classify(name) == family
