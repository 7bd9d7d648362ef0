"""AC@k / Avg@5 arithmetic, specificity, the tenant-leak check and the plan override."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.rca.asking import PlanParams, foreign_mentions, planned
from bench.rca.scoring import Case, Outcome, accuracy, grouped, leak_report, specificity
from bench.rca.synthetic import eval_tenant_id
from opsflow.planner import CiInfo

AT = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def _case(truth: str | None, group: str = "latency", key: str = "k") -> Case:
    return Case(
        suite="s", group=group, key=key, tenant="t_x", question="why is a slow?", at=AT, truth=truth
    )


def _out(truth: str | None, ranking: list[str], **kw: object) -> Outcome:
    return Outcome(case=_case(truth, **kw), ranking=ranking)  # type: ignore[arg-type]


def test_rank_is_one_based_and_none_when_missing() -> None:
    assert _out("b", ["a", "b"]).rank == 2
    assert _out("z", ["a", "b"]).rank is None
    assert _out("a", []).rank is None


def test_ac_at_k_and_avg5() -> None:
    outcomes = [
        _out("a", ["a", "b"]),  # rank 1
        _out("a", ["b", "c", "a"]),  # rank 3
        _out("a", ["b", "c", "d", "e", "a"]),  # rank 5
        _out("a", []),  # no candidate
    ]
    fig = accuracy(outcomes)
    assert fig["n"] == 4 and fig["no_candidate"] == 1
    assert fig["statuses"] == {"unknown": 4}
    assert fig["top1"] == 0.25 and fig["top3"] == 0.5
    # AC@1..5 = .25 .25 .5 .5 .75 -> mean .45
    assert fig["avg5"] == pytest.approx(0.45)


def test_a_failed_question_is_a_miss_not_skipped() -> None:
    failed = Outcome(case=_case("a"), status="failure", error="TimeoutError")
    fig = accuracy([failed, _out("a", ["a"])])
    assert fig["n"] == 2 and fig["top1"] == 0.5 and fig["failed"] == 1


def test_fault_free_windows_are_scored_by_specificity_only() -> None:
    outcomes = [_out(None, []), _out(None, ["x"]), _out(None, []), _out("a", ["a"])]
    fig = specificity(outcomes)
    assert fig["n"] == 3 and fig["empty_fraction"] == pytest.approx(0.667)
    assert fig["failed"] == 0
    assert accuracy(outcomes)["n"] == 1
    by = grouped(outcomes, lambda o: o.case.group, specificity)
    assert by["latency"]["n"] == 3


def test_leak_report_names_the_foreign_cis() -> None:
    clean = _out("a", ["a"])
    leaky = Outcome(case=_case("a", key="leaky"), ranking=["a"], leaked=["payments-db"])
    assert leak_report([clean]) == {"tenant_leak": False, "leaks": []}
    report = leak_report([clean, leaky])
    assert report["tenant_leak"] is True and report["leaks"][0]["named"] == ["payments-db"]


def test_foreign_mentions_match_whole_names_only() -> None:
    own = {"orders-db", "cart"}
    others = {"orders-db", "payments-db", "db"}
    text = "orders-db is slow because of payments-db; see dbx"
    assert foreign_mentions(text, own, others) == ["payments-db"]


def test_plan_override_changes_only_metric_steps() -> None:
    cis = [CiInfo("PetSite", "service"), CiInfo("petInfo", "service")]
    case = Case(
        suite="s",
        group="latency",
        key="k",
        tenant="t_ps_x",
        question="why is PetSite slow?",
        at=AT,
        truth="petInfo",
    )
    assert planned(case, cis, PlanParams()) is None  # the workflow plans by itself
    plan = planned(
        case,
        cis,
        PlanParams(window_minutes=60, history_hours=18, metrics=("latency_avg", "availability")),
    )
    assert plan is not None and plan.focus_ci == "PetSite" and plan.intent == "why_slow"
    metric_steps = [s for s in plan.steps if s.capability == "metric_timeseries"]
    assert len(metric_steps) == 2
    for step in metric_steps:
        assert step.params["history_hours"] == 18 and step.params["window_minutes"] == 60
        assert step.params["metrics"] == ["latency_avg", "availability"]
    topology = next(s for s in plan.steps if s.capability == "graph_traversal")
    assert "history_hours" not in topology.params


def test_eval_tenant_ids_differ_by_seed_and_size() -> None:
    ids = {eval_tenant_id("t_acme", seed, size) for seed in (1, 2) for size in ("small", "medium")}
    assert len(ids) == 4
    assert eval_tenant_id("t_acme", 11) == "t_eval_acme_s11"
