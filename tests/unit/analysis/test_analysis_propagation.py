"""Propagation judged on the trouble a candidate is ranked for, while the cause is bad,
and a host's saturation as the sum of the same resource on its workloads."""

from __future__ import annotations

import pytest

from opsflow.analysis import analyze
from opsflow.analysis.metrics import same_resource
from opsflow.models import AnalysisInput, MetricSeries
from tests.unit.analysis.synth import analysis_input, blip, deploy, series


def _ranked(inp: AnalysisInput) -> list[str]:
    return [rc.ci for rc in analyze(inp).root_causes]


def _called_a_symptom(inp: AnalysisInput, ci: str) -> bool:
    cause = next(rc for rc in analyze(inp).root_causes if rc.ci == ci)
    return any(e.description.startswith("likely a symptom") for e in cause.evidence)


def test_a_dependency_explaining_a_side_blip_leaves_the_main_trouble_unexplained() -> None:
    # api's own CPU saturates 8 minutes before the question and it slows down; 25 minutes
    # before, it and its cache both had a short error blip. The cache's blip explains
    # api's blip, not api's slowness.
    inp = analysis_input(
        [
            series("api", "latency_p95", seed=1, shift_from_min=8, shift_factor=2.5),
            series("api", "cpu", level=30.0, seed=2, shift_from_min=8, shift_factor=2.8),
            series("api", "error_rate", level=0.01, seed=3, shape=blip(26, 24, 4.0)),
            series("cache", "error_rate", level=0.01, seed=4, shape=blip(26, 24, 30.0)),
            series("cache", "latency_p95", seed=5),
        ],
        edges=[("api", "cache")],
        focus="api",
    )
    assert _ranked(inp)[0] == "api"
    assert not _called_a_symptom(inp, "api")


def test_a_dependency_that_recovered_before_its_caller_went_bad_did_not_cause_it() -> None:
    # ledger failed for two minutes and recovered; three minutes later session began to
    # fail and still does. Calls feel a dependency while it is bad.
    inp = analysis_input(
        [
            series("web", "error_rate", level=0.01, seed=1, shift_from_min=6, shift_factor=4.0),
            series("session", "error_rate", level=0.01, seed=2, shift_from_min=6, shift_factor=20),
            series("ledger", "error_rate", level=0.01, seed=3, shape=blip(11, 10, 40.0)),
        ],
        edges=[("web", "session"), ("session", "ledger")],
        focus="web",
        intent="why_failing",
    )
    assert _ranked(inp)[0] == "session"
    assert not _called_a_symptom(inp, "session")


def test_a_candidate_in_trouble_before_its_dependency_is_not_its_symptom() -> None:
    # auth slowed down 7 minutes before the question and began failing 3 minutes before;
    # its database's connections rose only with the failures.
    inp = analysis_input(
        [
            series("api", "error_rate", level=0.01, seed=1, shift_from_min=3, shift_factor=5.0),
            series("auth", "latency_p95", seed=2, shift_from_min=7, shift_factor=3.0),
            series("auth", "error_rate", level=0.01, seed=3, shift_from_min=3, shift_factor=9.0),
            series("db", "connections", level=20.0, seed=4, shift_from_min=3, shift_factor=4.0),
        ],
        edges=[("api", "auth"), ("auth", "db")],
        focus="api",
        intent="why_failing",
    )
    assert _ranked(inp)[0] == "auth"


def test_a_hosts_cpu_is_not_explained_by_another_resource_of_its_workload() -> None:
    # node's CPU saturates; db on it slows down and holds more connections (a larger
    # relative change, but not CPU): the host is the cause, not the connections' sum.
    inp = analysis_input(
        [
            series("api", "latency_p95", seed=1, shift_from_min=5, shift_factor=2.0),
            series("node", "cpu", level=40.0, seed=2, shift_from_min=5, shift_factor=2.3),
            series("db", "latency_p95", level=8.0, seed=3, shift_from_min=5, shift_factor=8.0),
            series("db", "connections", level=20.0, seed=4, shift_from_min=5, shift_factor=5.0),
            series("db", "cpu", level=20.0, seed=5),
        ],
        edges=[("api", "db"), ("api", "node"), ("db", "node")],
        focus="api",
        ci_types={"node": "host", "db": "database"},
    )
    assert _ranked(inp)[0] == "node"


def _waiting_world(
    callers: list[str], callees: list[str], caller_cpu: float = 1.0
) -> list[MetricSeries]:
    """Every caller slower from 6 minutes before the question with its CPU flat (or up by
    ``caller_cpu``); every callee flat: the time goes into the calls."""
    out = []
    for k, ci in enumerate(callers):
        out.append(series(ci, "latency_p95", seed=10 + k, shift_from_min=6, shift_factor=4.0))
        out.append(
            series(ci, "cpu", level=30.0, seed=20 + k, shift_from_min=6, shift_factor=caller_cpu)
        )
    for k, ci in enumerate(callees):
        out.append(series(ci, "latency_p95", level=20.0, seed=30 + k))
        out.append(series(ci, "cpu", level=30.0, seed=40 + k))
    return out


@pytest.mark.parametrize("caller_cpu", [1.0, 1.15])
def test_a_dependency_two_callers_wait_on_at_once_inherits_their_slowness(
    caller_cpu: float,
) -> None:
    # With the callers' CPU a sixth busier too: far less than their latency moved, so
    # not what made them slow.
    inp = analysis_input(
        _waiting_world(["front", "orders", "search"], ["store", "index"], caller_cpu),
        edges=[
            ("front", "orders"),
            ("front", "search"),
            ("orders", "store"),
            ("search", "store"),
            ("search", "index"),
        ],
        focus="front",
    )
    assert _ranked(inp)[0] == "store"


def test_a_ci_waiting_on_several_silent_dependencies_alone_is_the_common_factor() -> None:
    # Its own network interface delays every call it makes: nobody else waits on them.
    inp = analysis_input(
        _waiting_world(["front", "pricing"], ["auth", "payment", "index"]),
        edges=[
            ("front", "pricing"),
            ("pricing", "auth"),
            ("pricing", "payment"),
            ("pricing", "index"),
        ],
        focus="front",
    )
    ranked = _ranked(inp)
    assert ranked[0] == "pricing"
    assert not {"auth", "payment", "index"} & set(ranked[:2])


def test_a_slow_ci_with_its_own_fresh_deploy_is_not_waiting_on_its_dependency() -> None:
    # pricing slowed down right after its own release; the database it calls is silent.
    inp = analysis_input(
        _waiting_world(["front", "pricing"], ["catalog-db"]),
        edges=[("front", "pricing"), ("pricing", "catalog-db")],
        events=[deploy("pricing", 6.5)],
        focus="front",
    )
    ranked = _ranked(inp)
    assert ranked[0] == "pricing"
    assert "catalog-db" not in ranked[:2]


def test_coverage_counts_only_dependents_in_trouble_since_no_earlier() -> None:
    # Both callers failed 9 minutes before the question; the database had a blip at 2:
    # it explains neither, so it is not credited with them.
    inp = analysis_input(
        [
            series("front", "error_rate", level=0.01, seed=1, shift_from_min=9, shift_factor=6),
            series("orders", "error_rate", level=0.01, seed=2, shift_from_min=9, shift_factor=9),
            series("db", "error_rate", level=0.01, seed=3, shift_from_min=2, shift_factor=5),
        ],
        edges=[("front", "orders"), ("orders", "db")],
        focus="front",
        intent="why_failing",
    )
    db = next(rc for rc in analyze(inp).root_causes if rc.ci == "db")
    assert not any("anomalous CIs depend on" in e.description for e in db.evidence)


def test_an_excursion_that_began_well_after_the_symptom_came_too_late_to_cause_it() -> None:
    # front and orders fail from 10 minutes before the question; the database's errors
    # jump (more, relatively) only at the question: too late to have caused them.
    inp = analysis_input(
        [
            series("front", "error_rate", level=0.01, seed=1, shift_from_min=10, shift_factor=6),
            series("orders", "error_rate", level=0.01, seed=2, shift_from_min=10, shift_factor=12),
            series("db", "error_rate", level=0.01, seed=3, shift_from_min=1, shift_factor=30),
        ],
        edges=[("front", "orders"), ("front", "db")],
        focus="front",
        intent="why_failing",
    )
    assert _ranked(inp)[0] == "orders"


def test_same_resource_compares_what_a_metric_measures() -> None:
    assert same_resource("cpu", "container_cpu_usage_seconds_total")
    assert same_resource("memory", "container_memory_working_set_bytes")
    assert not same_resource("cpu", "connections")
    assert not same_resource("connections", "connections")  # occupancy, not a resource


def test_own_cpu_saturation_is_not_explained_by_a_dependencys_release() -> None:
    # shop's CPU saturates (its main trouble); orders, which it calls, was deployed 20
    # minutes earlier. Calls into orders do not consume shop's CPU.
    inp = analysis_input(
        [
            series("shop", "cpu", level=27.0, seed=1, shift_from_min=3, shift_factor=3.0),
            series("shop", "latency_p95", seed=2, shift_from_min=3, shift_factor=1.6),
            series("orders", "latency_p95", seed=3),
            series("orders", "cpu", level=30.0, seed=4),
        ],
        edges=[("shop", "orders")],
        events=[deploy("orders", 20)],
        focus="shop",
    )
    assert _ranked(inp)[0] == "shop"
    assert not _called_a_symptom(inp, "shop")


def test_a_ci_released_just_before_its_own_trouble_is_not_its_dependencys_symptom() -> None:
    # account was deployed 2 minutes before it began failing; identity, which it calls,
    # was deployed 6 minutes before and shows nothing.
    inp = analysis_input(
        [
            series("billing", "error_rate", level=0.01, seed=1, shift_from_min=8, shift_factor=4),
            series("account", "error_rate", level=0.01, seed=2, shift_from_min=8, shift_factor=9),
            series("account", "latency_p95", seed=3, shift_from_min=8, shift_factor=2.0),
            series("identity", "error_rate", level=0.01, seed=4),
            series("identity", "latency_p95", seed=5),
        ],
        edges=[("billing", "account"), ("account", "identity")],
        events=[deploy("account", 10), deploy("identity", 14)],
        focus="billing",
        intent="why_failing",
    )
    assert _ranked(inp)[0] == "account"
    assert not _called_a_symptom(inp, "account")


def test_an_incident_asked_about_late_is_aged_from_the_asked_symptom() -> None:
    # The host saturated and the asked service slowed down 50 minutes before the question;
    # a cache wobbled 8 minutes before it. The operator asks about the trouble they see,
    # which began 50 minutes ago.
    inp = analysis_input(
        [
            series("directory", "latency_p95", seed=1, shift_from_min=50, shift_factor=2.6),
            series("directory", "cpu", level=30.0, seed=2),
            series("vm-22", "cpu", level=30.0, seed=3, shift_from_min=51, shift_factor=3.2),
            series("cache", "latency_p95", level=10.0, seed=4, shift_from_min=8, shift_factor=1.8),
        ],
        edges=[("directory", "vm-22"), ("directory", "cache")],
        focus="directory",
        ci_types={"vm-22": "host"},
    )
    assert _ranked(inp)[0] == "vm-22"
