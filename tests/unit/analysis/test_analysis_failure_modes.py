"""Each failure mode of issue 13 as a small fixed case (modes 1 and 3 live beside the rules
they exercise: test_analysis_ranking.py and test_analysis_anomalies.py)."""

from __future__ import annotations

from opsflow.analysis import analyze
from tests.unit.analysis.synth import analysis_input, deploy, series


def _ranked(inp) -> list[str]:
    return [rc.ci for rc in analyze(inp).root_causes]


def test_saturation_of_the_asked_ci_itself_names_it():
    # Mode 2: the asked CI's own CPU saturates; its dependency is healthy.
    inp = analysis_input(
        [
            series("api", "latency_p95", seed=1, shift_from_min=8, shift_factor=2.5),
            series("api", "cpu", level=30.0, seed=2, shift_from_min=9, shift_factor=3.0),
            series("db", "latency_p95", seed=3),
            series("db", "cpu", level=30.0, seed=4),
        ],
        edges=[("api", "db")],
        focus="api",
    )
    assert _ranked(inp)[0] == "api"


def test_a_fresh_onset_beats_an_old_shift_that_never_recovered():
    # Mode 4: "old" shifted 55 minutes before the question, "new" 6 minutes before.
    inp = analysis_input(
        [
            series("front", "latency_p95", seed=1, shift_from_min=6, shift_factor=2.0),
            series("old", "latency_p95", seed=2, shift_from_min=55, shift_factor=3.0),
            series("new", "latency_p95", seed=3, shift_from_min=6, shift_factor=2.5),
        ],
        edges=[("front", "old"), ("front", "new")],
        focus="front",
    )
    ranked = _ranked(inp)
    assert ranked[0] == "new"
    assert ranked.index("old") > 0


def test_an_error_only_fault_is_named_for_a_failing_question():
    # Mode 5: exceptions in a dependency, no latency change anywhere.
    inp = analysis_input(
        [
            series("front", "error_rate", level=0.01, seed=1, shift_from_min=7, shift_factor=6.0),
            series("front", "latency_p95", seed=2),
            series("pay", "error_rate", level=0.01, seed=3, shift_from_min=8, shift_factor=20.0),
            series("pay", "latency_p95", seed=4),
            series("cart", "latency_p95", seed=5),
        ],
        edges=[("front", "pay"), ("front", "cart")],
        focus="front",
        intent="why_failing",
    )
    assert _ranked(inp)[0] == "pay"


def test_fifteen_minutes_of_five_second_data_is_judged():
    # Mode 6: a short, fine-grained recording keeps its points and is judged.
    inp = analysis_input(
        [
            series(
                "api",
                "latency_p95",
                step_s=5,
                hours=0.25,
                seed=1,
                shift_from_min=2,
                shift_factor=3.0,
            ),
            series(
                "db",
                "latency_p95",
                step_s=5,
                hours=0.25,
                seed=2,
                shift_from_min=2,
                shift_factor=4.0,
            ),
        ],
        edges=[("api", "db")],
        focus="api",
    )
    findings = analyze(inp)
    assert findings.diagnosis.series_judged == 2
    assert findings.root_causes[0].ci == "db"


def test_the_deploy_that_anomalies_followed_is_blamed_among_several():
    # Mode 7: three deploys in the closure; only one is followed by trouble, on its callers.
    inp = analysis_input(
        [
            series("front", "error_rate", level=0.01, seed=1, shift_from_min=10, shift_factor=5.0),
            series("mid", "error_rate", level=0.01, seed=2, shift_from_min=10, shift_factor=5.0),
            series("a", "error_rate", level=0.01, seed=3),
            series("b", "error_rate", level=0.01, seed=4),
            series("c", "error_rate", level=0.01, seed=5),
        ],
        edges=[("front", "mid"), ("mid", "a"), ("mid", "b"), ("front", "c")],
        events=[deploy("a", 200), deploy("b", 12), deploy("c", 90)],
        focus="front",
        intent="why_failing",
    )
    assert _ranked(inp)[0] == "b"
