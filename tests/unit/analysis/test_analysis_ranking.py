"""Root-cause ranking: deepest anomalous dependency, changes, paths, empty findings."""

from __future__ import annotations

import random
from datetime import timedelta

from opsflow.analysis import analyze
from opsflow.models import MetricSeries, RcaOutcome
from tests.unit.analysis.synth import REF, analysis_input, deploy, series

CHAIN = [("A", "B"), ("B", "C")]  # A depends on B, B depends on C


def _chain_incident(**kw):
    # C degrades first and most; B and A follow a few minutes later, as callers do.
    return analysis_input(
        [
            series("A", "latency_p95", seed=1, shift_from_min=18, shift_factor=1.6),
            series("B", "latency_p95", seed=2, shift_from_min=19, shift_factor=1.8),
            series("C", "latency_p95", seed=3, shift_from_min=22, shift_factor=2.5),
            series("C", "cpu", level=40.0, seed=4, shift_from_min=22, shift_factor=2.0),
            series("D", "latency_p95", seed=5),
        ],
        edges=[*CHAIN, ("A", "D")],
        focus="A",
        **kw,
    )


def test_deepest_anomalous_dependency_ranks_first():
    findings = analyze(_chain_incident())
    ranked = [rc.ci for rc in findings.root_causes]
    assert ranked[0] == "C"
    assert set(ranked) == {"A", "B", "C"}  # D is normal: never a candidate
    assert findings.path == ["A", "B", "C"]
    top = findings.root_causes[0]
    assert 0.0 < top.score <= 1.0
    assert top.score > findings.root_causes[1].score
    kinds = {e.kind for e in top.evidence}
    assert {"anomaly", "path"} <= kinds
    anomaly = next(e for e in top.evidence if e.kind == "anomaly")
    assert anomaly.metric and anomaly.baseline is not None and anomaly.ts is not None
    symptom = next(rc for rc in findings.root_causes if rc.ci == "B")
    assert any(e.kind == "topology" and "symptom" in e.description for e in symptom.evidence)


def test_focus_itself_can_be_the_cause():
    inp = analysis_input(
        [
            series("A", "error_rate", level=0.01, seed=1, shift_from_min=12, shift_factor=8.0),
            series("B", "error_rate", level=0.01, seed=2),
        ],
        edges=[("A", "B")],
        events=[deploy("A", 15)],
        focus="A",
        intent="why_failing",
    )
    findings = analyze(inp)
    assert [rc.ci for rc in findings.root_causes] == ["A"]
    assert findings.path == ["A"]
    assert any(e.kind == "change" for e in findings.root_causes[0].evidence)


def _two_equal_suspects(events):
    return analysis_input(
        [
            series("front", "latency_p95", seed=1, shift_from_min=20, shift_factor=1.7),
            series("left", "latency_p95", seed=2, shift_from_min=20, shift_factor=2.0),
            series("right", "latency_p95", seed=3, shift_from_min=20, shift_factor=2.0),
            series("quiet", "latency_p95", seed=4),
        ],
        edges=[("front", "left"), ("front", "right"), ("front", "quiet")],
        events=events,
        focus="front",
    )


def test_correlated_deploy_boosts_the_right_candidate():
    without = analyze(_two_equal_suspects([]))
    with_right = analyze(_two_equal_suspects([deploy("right", 27)]))
    with_left = analyze(_two_equal_suspects([deploy("left", 27)]))
    assert with_right.root_causes[0].ci == "right"
    assert with_left.root_causes[0].ci == "left"
    boosted = with_right.root_causes[0]
    before = next(rc for rc in without.root_causes if rc.ci == "right")
    assert boosted.score > before.score
    change = next(e for e in boosted.evidence if e.kind == "change")
    assert change.ci == "right" and "deploy" in change.description
    assert [c.ci for c in with_right.changes] == ["right"]


def test_unrelated_or_old_deploys_rank_below_the_anomalous_causes():
    # "island": nothing anomalous depends on it; "left": deployed five hours ago.
    findings = analyze(_two_equal_suspects([deploy("island", 25), deploy("left", 300)]))
    ranked = [rc.ci for rc in findings.root_causes]
    assert ranked.index("island") > ranked.index("right")
    assert {c.ci for c in findings.changes} == {"island", "left"}
    island = next(rc for rc in findings.root_causes if rc.ci == "island")
    right = next(rc for rc in findings.root_causes if rc.ci == "right")
    assert island.score < 0.5 * right.score


def test_config_change_on_a_quiet_dependency_explains_its_anomalous_caller():
    inp = analysis_input(
        [
            series("api", "latency_p95", seed=1, shift_from_min=20, shift_factor=2.0),
            series("other", "latency_p95", seed=2, shift_from_min=20, shift_factor=2.0),
        ],
        edges=[("api", "flags"), ("web", "api"), ("web", "other")],
        events=[deploy("flags", 25, kind="config_change")],
        focus="web",
    )
    findings = analyze(inp)
    ranked = [rc.ci for rc in findings.root_causes]
    assert ranked.index("flags") < ranked.index("api")
    flags = next(rc for rc in findings.root_causes if rc.ci == "flags")
    assert any(e.kind == "change" and e.ci == "flags" for e in flags.evidence)
    api = next(rc for rc in findings.root_causes if rc.ci == "api")
    assert any(e.kind == "topology" and "flags" in e.description for e in api.evidence)


def test_nothing_anomalous_gives_empty_findings_with_a_note():
    inp = analysis_input(
        [
            series(ci, m, seed=i)
            for i, (ci, m) in enumerate([("A", "latency_p95"), ("B", "error_rate"), ("C", "cpu")])
        ],
        edges=CHAIN,
        focus="A",
    )
    findings = analyze(inp)
    assert findings.anomalies == []
    assert findings.root_causes == []
    assert findings.path == []
    assert any("no cause found" in n for n in findings.notes)


def test_healthy_focus_still_ranks_its_anomalous_dependency_and_says_so():
    # Failure mode 1: the operator asks because they saw something; our data may not.
    inp = analysis_input(
        [
            series("A", "latency_p95", seed=1),
            series("B", "latency_p95", seed=2, shift_from_min=20, shift_factor=2.0),
        ],
        edges=[("A", "B")],
        focus="A",
    )
    findings = analyze(inp)
    assert [rc.ci for rc in findings.root_causes] == ["B"]
    assert findings.diagnosis.symptom_seen is False
    assert findings.diagnosis.outcome == RcaOutcome.RANKED
    assert any("not visible" in n for n in findings.notes)


def test_inventory_intents_are_not_ranked():
    findings = analyze(_chain_incident(intent="top_n"))
    assert findings.anomalies  # still annotated
    assert findings.root_causes == []


def test_candidate_not_on_the_focus_path_is_pushed_down():
    inp = analysis_input(
        [
            series("A", "latency_p95", seed=1, shift_from_min=15, shift_factor=1.5),
            series("B", "latency_p95", seed=2, shift_from_min=15, shift_factor=2.0),
            series("elsewhere", "latency_p95", seed=3, shift_from_min=15, shift_factor=3.0),
        ],
        edges=[("A", "B"), ("elsewhere", "X")],
        focus="A",
    )
    ranked = [rc.ci for rc in analyze(inp).root_causes]
    assert ranked[0] == "B"
    assert ranked.index("elsewhere") > ranked.index("B")


def test_deterministic_and_independent_of_output_order():
    inp = _chain_incident()
    reordered = inp.model_copy(update={"outputs": dict(reversed(list(inp.outputs.items())))})
    assert analyze(inp) == analyze(reordered)


def _fast_series(ci, metric, stamps, seed, shift_at=None):
    rng = random.Random(seed)
    gauss = rng.gauss
    values = [100.0 + gauss(0.0, 5.0) for _ in stamps]
    if shift_at is not None:
        values[shift_at:] = [v * 2.0 for v in values[shift_at:]]
    return MetricSeries(
        ci=ci, metric=metric, epoch_s=[t.timestamp() for t in stamps], values=values, bucket_s=60
    )


def test_forty_cis_five_metrics_fifteen_hundred_points_finds_the_deep_cause():
    # Speed is measured in bench/ (never a timed test); here only the answer counts.
    metrics = ["latency_p95", "error_rate", "cpu", "rps", "memory"]
    n = 1500
    stamps = [REF - timedelta(minutes=n - 1 - k) for k in range(n)]
    all_series = [
        _fast_series(f"svc{c:02d}", m, stamps, c * 10 + k, n - 20 if c in (0, 7) else None)
        for c in range(40)
        for k, m in enumerate(metrics)
    ]
    edges = [(f"svc{c:02d}", f"svc{c + 1:02d}") for c in range(39)]
    inp = analysis_input(all_series, edges=edges, focus="svc00")
    findings = analyze(inp)
    assert findings.root_causes[0].ci == "svc07"
