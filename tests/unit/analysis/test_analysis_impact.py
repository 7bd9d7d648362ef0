"""Traffic-weighted impact: a busy dependency's excursion outweighs an idle one's."""

from __future__ import annotations

from opsflow.analysis import analyze, classify
from opsflow.analysis.anomalies import Detection
from opsflow.analysis.impact import Traffic, impact_factors, is_percentile, traffic_of
from opsflow.analysis.series import SeriesData
from opsflow.models import Anomaly
from tests.unit.analysis.synth import REF, analysis_input, series

EDGES = [("front", "lb"), ("front", "svc")]


def _incident(with_traffic: bool, intent: str = "why_slow"):
    # Both dependencies go bad together; the idle endpoint's excursion is the larger one.
    metric, factor_lb, factor_svc = (
        ("latency_p95", 5.0, 2.0) if intent == "why_slow" else ("availability", 0.80, 0.97)
    )
    noise = 0.05 if intent == "why_slow" else 0.001
    out = [
        series(
            "front",
            metric,
            seed=1,
            noise=noise,
            shift_from_min=20,
            shift_factor=1.5 if intent == "why_slow" else 0.98,
        ),
        series("lb", metric, seed=2, noise=noise, shift_from_min=20, shift_factor=factor_lb),
        series("svc", metric, seed=3, noise=noise, shift_from_min=20, shift_factor=factor_svc),
    ]
    if with_traffic:
        out += [
            series("front", "rps", level=50.0, seed=4, noise=0.02),
            series("lb", "rps", level=0.2, seed=5, noise=0.02),
            series("svc", "rps", level=40.0, seed=6, noise=0.02),
        ]
    return analysis_input(out, edges=EDGES, focus="front", intent=intent)


def test_without_traffic_the_larger_excursion_wins():
    ranked = [rc.ci for rc in analyze(_incident(with_traffic=False)).root_causes]
    assert ranked[0] == "lb"


def test_busy_dependency_outranks_idle_one_with_larger_latency_excursion():
    findings = analyze(_incident(with_traffic=True))
    ranked = [rc.ci for rc in findings.root_causes]
    assert ranked[0] == "svc"
    assert "lb" in ranked  # weighed down, not dropped: its anomaly is real
    lb = next(rc for rc in findings.root_causes if rc.ci == "lb")
    traffic = [e for e in lb.evidence if e.kind == "traffic"]
    assert traffic and traffic[0].metric == "rps" and traffic[0].step_id == "metrics"
    assert traffic[0].value is not None and traffic[0].value < 1.0


def test_failed_requests_not_percentages_decide_availability():
    ranked = [rc.ci for rc in analyze(_incident(True, "why_failing")).root_causes]
    assert ranked[0] == "svc"


def detection(ci: str, metric: str, *, delta: float) -> Detection:
    anomaly = Anomaly(
        ci=ci, metric=metric, onset=REF, peak=delta, baseline=0.0, deviation=10.0, direction="up"
    )
    return Detection(
        anomaly=anomaly,
        family=classify(metric),
        weight=1.0,
        severity=0.8,
        rel_change=1.0,
        delta=delta,
        onset_ts=0.0,
        end_ts=60.0,
        censored=False,
        seasonal=False,
        timing=1.0,
        lone=False,
        history_points=60,
        confidence=1.0,
    )


def _traffic(level: float) -> Traffic:
    return Traffic("rps", "metrics", times=[0.0, 60.0], values=[level, level], usual=level)


def test_impact_factors_skip_focus_and_unmeasured() -> None:
    tops = {
        "front": [detection("front", "latency_avg", delta=500.0)],
        "busy": [detection("busy", "latency_avg", delta=10.0)],
        # A tail percentile's excursion is not a total: the mean decides when there is one.
        "idle": [
            detection("idle", "latency_p95", delta=5000.0),
            detection("idle", "latency_avg", delta=100.0),
        ],
        "dark": [detection("dark", "latency_avg", delta=1.0)],  # no traffic series
        "hot": [detection("hot", "cpu", delta=50.0)],  # not an impact family
    }
    traffic = {
        n: _traffic(v) for n, v in {"front": 100.0, "busy": 40.0, "idle": 0.1, "hot": 1.0}.items()
    }
    factors = impact_factors(tops, traffic, focus="front")
    assert set(factors) == {"busy", "idle"}
    assert factors["busy"] == 1.0
    assert factors["idle"] == 0.35  # 100 x 0.1 / (10 x 40) = 2.5 % share -> the floor


def test_percentiles_are_recognised() -> None:
    assert all(map(is_percentile, ["latency_p95", "duration.p99", "rt_max", "p50"]))
    assert not any(map(is_percentile, ["latency_avg", "latency", "error_rate", "p95x"]))


def test_traffic_uses_the_most_common_load_metric_only() -> None:
    def data(ci: str, metric: str, value: float) -> SeriesData:
        return SeriesData(ci, metric, None, [0.0, 60.0, 120.0], [value] * 3, 60.0)

    found = traffic_of(
        [
            data("a", "rps", 2.0),
            data("b", "rps", 3.0),
            data("c", "requests", 900.0),
            data("a", "latency_p95", 5.0),
        ],
        before_ts=100.0,
    )
    assert set(found) == {"a", "b"}
    assert found["b"].usual == 3.0
    assert found["b"].during(1000.0, 2000.0) == 3.0  # no load point inside: the usual level
