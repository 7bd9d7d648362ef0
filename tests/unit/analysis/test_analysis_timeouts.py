"""A slow dependency explains a caller's failures only through the caller's own slowness."""

from __future__ import annotations

from opsflow.analysis import analyze
from tests.unit.analysis.synth import analysis_input, series


def _failing_caller(caller_slow: bool):
    out = [
        series(
            "front",
            "availability",
            level=99.9,
            noise=0.0005,
            seed=1,
            shift_from_min=18,
            shift_factor=0.95,
        ),
        series(
            "svc",
            "availability",
            level=99.9,
            noise=0.0005,
            seed=2,
            shift_from_min=18,
            shift_factor=0.92,
        ),
        # The database is a little slower from the same minute on.
        series("db", "latency_avg", level=4.0, seed=3, shift_from_min=19, shift_factor=2.0),
    ]
    if caller_slow:
        out.append(
            series("svc", "latency_avg", level=20.0, seed=4, shift_from_min=18, shift_factor=1.3)
        )
    return analysis_input(
        out, edges=[("front", "svc"), ("svc", "db")], focus="front", intent="why_failing"
    )


def test_failing_caller_that_is_not_slow_is_not_explained_by_a_slow_dependency():
    findings = analyze(_failing_caller(caller_slow=False))
    assert findings.root_causes[0].ci == "svc"
    svc = findings.root_causes[0]
    assert not any("likely a symptom" in e.description for e in svc.evidence)


def test_slow_dependency_explains_a_failing_caller_that_is_slow_by_as_much():
    findings = analyze(_failing_caller(caller_slow=True))
    svc = next(rc for rc in findings.root_causes if rc.ci == "svc")
    assert any("likely a symptom" in e.description for e in svc.evidence)
    assert findings.root_causes[0].ci == "db"
