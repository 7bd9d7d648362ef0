"""The hard RCA generator: deterministic, and its ground truth holds in its own data.

Every check reads the generated samples the way a person would (medians before and after
the onset), not the generator's internals: if a fault did not show where the case says
it does, the case would score the analysis against a wrong answer.
"""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import timedelta
from pathlib import Path

import pytest

from bench.rca.hard_files import write_case
from bench.rca.hard_generator import generate_case, generate_suite
from bench.rca.hard_model import CiType, FaultKind, HardCase, Metric, Symptom
from bench.rca.hard_suite import as_case, hard_figures, hard_tenant, kind_table
from bench.rca.offline_data import hard_telemetry
from bench.rca.scoring import Outcome
from opsflow_app.importer import parse_files

INDICES = (0, 1)
LOUD = (
    FaultKind.DEPENDENCY_CPU,
    FaultKind.BAD_DEPLOY,
    FaultKind.DB_SATURATION,
    FaultKind.HOST_CPU,
    FaultKind.SELF_CPU,
    FaultKind.ERROR_ONLY,
    FaultKind.NETWORK_DELAY,
)


@pytest.fixture(scope="module")
def cases() -> dict[tuple[FaultKind, int], HardCase]:
    return {(k, i): generate_case(k, 7, i) for k in FaultKind for i in INDICES}


def _values(
    case: HardCase, ci: str, metric: str, after: bool, before_s: float = 1800.0
) -> list[float]:
    """After: from half a minute past the onset (the ramp) to the end of the data.
    Before: the ``before_s`` seconds before the onset (the daily season moves a longer
    history's level, as it does in real data)."""
    ramp = timedelta(seconds=30)
    lo, hi = (
        (case.onset + ramp, None)
        if after
        else (case.onset - timedelta(seconds=before_s), case.onset)
    )
    return [
        v
        for ts, v in case.series(ci, metric)
        if not math.isnan(v) and ts >= lo and (hi is None or ts < hi)
    ]


def change(case: HardCase, ci: str, metric: str) -> tuple[float, float]:
    """(relative change of the level, z of that change against the history's spread).

    Medians and MAD, except for error rates: they are counts over few requests (mostly
    exact zeros at low traffic), whose level is the mean, judged by its standard error.
    """
    before, after = _values(case, ci, metric, False), _values(case, ci, metric, True)
    if metric == Metric.ERRORS:
        lvl_b, lvl_a, spread = (
            statistics.fmean(before),
            statistics.fmean(after),
            statistics.pstdev(before) / len(after) ** 0.5,
        )
    else:
        lvl_b, lvl_a = statistics.median(before), statistics.median(after)
        spread = statistics.median(abs(v - lvl_b) for v in before) * 1.4826
    return (lvl_a - lvl_b) / max(abs(lvl_b), 1e-9), (lvl_a - lvl_b) / max(spread, 1e-9)


def asked_metric(case: HardCase) -> str:
    return Metric.LATENCY if case.symptom == Symptom.SLOW else Metric.ERRORS


def root_metric(case: HardCase) -> str | None:
    """The root's own series the mechanism must move (None: network delay moves none)."""
    if case.fault in (FaultKind.DEPENDENCY_CPU, FaultKind.SELF_CPU, FaultKind.HOST_CPU):
        return Metric.CPU
    if case.fault == FaultKind.NETWORK_DELAY:
        return None
    if case.fault == FaultKind.ERROR_ONLY:
        return Metric.ERRORS
    if case.fault == FaultKind.DB_SATURATION:
        return Metric.LATENCY
    return asked_metric(case)  # bad deploy and weak symptom: the symptom they show


def closure(case: HardCase) -> set[str]:
    deps: dict[str, list[str]] = {}
    for src, dst in case.edges:
        deps.setdefault(src, []).append(dst)
    seen, stack = set(), [case.entry]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack += deps.get(name, [])
    return seen


def test_same_inputs_same_bytes_other_seed_other_case(tmp_path: Path) -> None:
    for kind in (FaultKind.MISSING_SERIES, FaultKind.BAD_DEPLOY):
        a = write_case(generate_case(kind, 3, 1), tmp_path / "a")
        b = write_case(generate_case(kind, 3, 1), tmp_path / "b")
        for name in ("metrics", "graph", "cis", "events"):
            assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes()
    assert generate_case(FaultKind.BAD_DEPLOY, 3, 1).samples != (
        generate_case(FaultKind.BAD_DEPLOY, 4, 1).samples
    )


def test_suite_has_every_kind_and_unique_tenants() -> None:
    suite = generate_suite(1, seed=2, kinds=(FaultKind.SELF_CPU, FaultKind.FINE_STEP))
    assert [c.kind for c in suite] == [FaultKind.SELF_CPU, FaultKind.FINE_STEP]
    assert len({hard_tenant(c) for c in suite}) == 2
    case = as_case(suite[0])
    assert (case.group, case.truth, case.at) == ("self_cpu", suite[0].truth, suite[0].at)


@pytest.mark.parametrize("kind", list(FaultKind))
def test_question_truth_and_reference_time(
    cases: dict[tuple[FaultKind, int], HardCase], kind: FaultKind
) -> None:
    for i in INDICES:
        case = cases[(kind, i)]
        assert case.question == f"why is {case.entry} {case.symptom.value}?"
        assert case.truth in closure(case)
        assert timedelta(minutes=1) <= case.at - case.onset <= timedelta(minutes=6)
        assert max(ts for ts, *_ in case.samples) >= case.at
        if kind == FaultKind.SELF_CPU:
            assert case.truth == case.entry
        if kind == FaultKind.HOST_CPU:
            assert case.ci_type(case.truth) == CiType.HOST


@pytest.mark.parametrize("kind", [k for k in FaultKind if k != FaultKind.NETWORK_DELAY])
def test_root_series_moves_at_the_onset(
    cases: dict[tuple[FaultKind, int], HardCase], kind: FaultKind
) -> None:
    for i in INDICES:
        case = cases[(kind, i)]
        metric = root_metric(case)
        assert metric is not None
        rel, z = change(case, case.truth, metric)
        assert rel > 0.2 and z > 4, (case.key, metric, rel, z)


@pytest.mark.parametrize("kind", LOUD)
def test_the_asked_symptom_is_visible_on_loud_faults(
    cases: dict[tuple[FaultKind, int], HardCase], kind: FaultKind
) -> None:
    for i in INDICES:
        case = cases[(kind, i)]
        rel, z = change(case, case.entry, asked_metric(case))
        assert rel > 0.15 and z > 3, (case.key, rel, z)


def test_weak_symptom_is_faint_at_the_entry_and_loud_at_the_root(
    cases: dict[tuple[FaultKind, int], HardCase],
) -> None:
    for i in INDICES:
        case = cases[(FaultKind.WEAK_SYMPTOM, i)]
        entry_rel, _ = change(case, case.entry, asked_metric(case))
        root_rel, _ = change(case, case.truth, asked_metric(case))
        assert root_rel > 0.4 and entry_rel < 1.0 and root_rel > 4 * entry_rel, case.key


def test_network_delay_shows_on_callers_not_on_the_callee(
    cases: dict[tuple[FaultKind, int], HardCase],
) -> None:
    for i in INDICES:
        case = cases[(FaultKind.NETWORK_DELAY, i)]
        hosts = {n for n, t in case.cis if t == CiType.HOST}
        callees = [t for s, t in case.edges if s == case.truth and t not in hosts]
        callers = [s for s, t in case.edges if t == case.truth and s in closure(case)]
        # Told apart from its callers' own slowness: shared by two, or calling others.
        assert len(callers) >= 2 or callees, case.key
        assert all(change(case, c, Metric.LATENCY)[0] > 0.1 for c in callers), case.key
        assert abs(change(case, case.truth, Metric.CPU)[1]) < 4, case.key
        own_rel, _ = change(case, case.truth, Metric.LATENCY)
        # Its own time moves only through the calls it makes (delayed too).
        assert (own_rel > 0.1) if callees else (abs(own_rel) < 0.15), (case.key, own_rel)


def test_error_only_leaves_latency_alone(cases: dict[tuple[FaultKind, int], HardCase]) -> None:
    for i in INDICES:
        case = cases[(FaultKind.ERROR_ONLY, i)]
        assert case.symptom == Symptom.FAILING
        for ci in (case.truth, case.entry):
            assert abs(change(case, ci, Metric.LATENCY)[0]) < 0.15, case.key


def test_history_length_and_step(cases: dict[tuple[FaultKind, int], HardCase]) -> None:
    for i in INDICES:
        short = cases[(FaultKind.SHORT_HISTORY, i)]
        stamps = sorted({ts for ts, *_ in short.samples})
        assert 5 <= sum(ts < short.onset for ts in stamps) <= 10
        fine = cases[(FaultKind.FINE_STEP, i)]
        stamps = sorted({ts for ts, *_ in fine.samples})
        assert fine.step_s == 5
        assert {b - a for a, b in itertools.pairwise(stamps)} == {timedelta(seconds=5)}
        assert stamps[-1] - stamps[0] < timedelta(hours=1)
        usual = cases[(FaultKind.DEPENDENCY_CPU, i)]
        assert usual.onset - min(ts for ts, *_ in usual.samples) >= timedelta(hours=2)


def test_old_level_shift_began_hours_before_and_stays(
    cases: dict[tuple[FaultKind, int], HardCase],
) -> None:
    metric_of = {"latency": Metric.LATENCY, "errors": Metric.ERRORS, "cpu": Metric.CPU}
    for i in INDICES:
        case = cases[(FaultKind.OLD_LEVEL_SHIFT, i)]
        (label,) = [d for d in case.decoys if d.startswith("old_")]
        what, ci = label.split(":")
        assert ci != case.truth
        series = case.series(ci, metric_of[what.split("_")[1]])
        first = [v for ts, v in series if ts < case.onset - timedelta(hours=4)]
        last = [v for ts, v in series if case.onset - timedelta(hours=1) <= ts < case.onset]
        assert first and last
        assert statistics.median(last) > 1.15 * statistics.median(first), case.key


def test_noisy_services_are_noisier(cases: dict[tuple[FaultKind, int], HardCase]) -> None:
    def spread(case: HardCase, ci: str) -> float:
        values = _values(case, ci, Metric.CPU, after=False, before_s=6 * 3600.0)
        med = statistics.median(values)
        return statistics.median(abs(v - med) for v in values)

    for i in INDICES:
        case = cases[(FaultKind.NOISY_SERVICES, i)]
        noisy = {d.split(":")[1] for d in case.decoys if d.startswith("noisy:")}
        assert len(noisy) >= 3 and case.truth not in noisy
        calm = {n for n, t in case.cis if t != CiType.HOST} - noisy - {case.truth}
        assert statistics.mean(spread(case, c) for c in noisy) > statistics.mean(
            spread(case, c) for c in calm
        )


def test_missing_series_are_absent_and_gaps_are_gaps(
    cases: dict[tuple[FaultKind, int], HardCase],
) -> None:
    for i in INDICES:
        case = cases[(FaultKind.MISSING_SERIES, i)]
        assert case.missing
        present = {(ci, m) for _, ci, m, _ in case.samples}
        assert not present & set(case.missing)
        assert any(math.isnan(v) for *_, v in case.samples)
        metric = root_metric(case)
        assert metric is not None
        assert _values(case, case.truth, metric, after=True)


def test_bad_deploy_is_one_of_several_deploys(
    cases: dict[tuple[FaultKind, int], HardCase],
) -> None:
    for i in INDICES:
        case = cases[(FaultKind.BAD_DEPLOY, i)]
        deploys = [e for e in case.events if e[2] == "deploy"]
        assert (case.onset, case.truth) in {(ts, ci) for ts, ci, *_ in deploys}
        others = [e for e in deploys if e[1] != case.truth]
        assert len(others) >= 2
        assert all(abs(e[0] - case.onset) >= timedelta(minutes=3) for e in others)


def test_files_are_what_the_importer_reads(
    cases: dict[tuple[FaultKind, int], HardCase], tmp_path: Path
) -> None:
    case = cases[(FaultKind.MISSING_SERIES, 0)]
    files = write_case(case, tmp_path)
    parsed = parse_files(files.metrics, files.graph, files.events, files.cis)
    gaps = sum(math.isnan(v) for *_, v in case.samples)
    assert parsed.gaps_skipped == gaps
    assert len(parsed.samples) == len(case.samples) - gaps
    assert parsed.cis == {name: str(t) for name, t in case.cis}
    hosts = {n for n, t in case.cis if t == CiType.HOST}
    assert {(s, t) for s, t, _ in parsed.relations} == set(case.edges)
    assert all((r == "runs_on") == (t in hosts) for _, t, r in parsed.relations)
    assert len(parsed.events) == len(case.events)


def test_figures_per_kind_and_targets(cases: dict[tuple[FaultKind, int], HardCase]) -> None:
    hit = as_case(cases[(FaultKind.SELF_CPU, 0)])
    miss = as_case(cases[(FaultKind.NETWORK_DELAY, 0)])
    outcomes = [
        Outcome(case=hit, ranking=[hit.truth or "", "x"]),
        Outcome(case=miss, ranking=[]),
    ]
    fig = hard_figures(outcomes)
    assert fig["by_fault_kind"]["self_cpu"]["top1"] == 1.0
    assert fig["by_fault_kind"]["network_delay"]["no_candidate"] == 1
    assert fig["top1"] == 0.5 and not fig["targets"]["top1"]["met"]
    assert fig["targets"]["every_kind_top1"]["worst"] == 0.0
    rows = kind_table(fig)
    assert rows[2].startswith("| network_delay | 1 | 0.0 |") and rows[-1].startswith("| all | 2 |")


def test_offline_telemetry_is_what_the_import_stores(
    cases: dict[tuple[FaultKind, int], HardCase],
) -> None:
    case = cases[(FaultKind.MISSING_SERIES, 1)]
    tel = hard_telemetry(case)
    stored = sum(len(times) for times, _ in tel.samples.values())
    assert stored == sum(not math.isnan(v) for *_, v in case.samples)
    assert not set(tel.samples) & set(case.missing)
    assert tel.cis == {n: str(t) for n, t in case.cis}
    assert [(e.ts, e.ci, e.kind) for e in tel.events] == [(t, c, k) for t, c, k, *_ in case.events]
