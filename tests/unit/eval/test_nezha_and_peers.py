"""The Train-Ticket cases, the side-by-side figures and the per-case listing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.rca.baselines import Peer
from bench.rca.compare import OPSFLOW, headline_rows, side_by_side
from bench.rca.nezha import (
    DEFAULT_ROOT,
    ENTRY_CI,
    FaultKind,
    case_of,
    day_tenant,
    read_faults,
)
from bench.rca.scoring import Case, Outcome

AT = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def _write_cases(root: Path, items: list[dict[str, object]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cases.json").write_text(json.dumps(items))
    return root


def test_faults_become_questions_about_the_entry_service(tmp_path: Path) -> None:
    root = _write_cases(
        tmp_path,
        [
            {"day": "2023-01-29", "at": 1674999294, "root_cause": "ts-a", "type": "cpu_contention"},
            {"day": "2023-01-29", "at": 1675000000, "root_cause": "ts-b", "type": "return"},
            {"day": "2023-01-30", "at": 1675080000, "root_cause": "ts-c", "type": "network_delay"},
            {"day": "2023-01-30", "at": 1675090000, "root_cause": "ts-d", "type": "exception"},
        ],
    )
    cases = [case_of(f) for f in read_faults(root)]
    assert [c.question for c in cases] == [
        f"why is {ENTRY_CI} slow?",
        f"why is {ENTRY_CI} failing?",
        f"why is {ENTRY_CI} slow?",
        f"why is {ENTRY_CI} failing?",
    ]
    first = cases[0]
    assert first.tenant == day_tenant("2023-01-29") == "t_nz_tt_0129"
    assert first.at == datetime(2023, 1, 29, 13, 34, 54, tzinfo=UTC)
    assert (first.truth, first.group, first.scenario) == ("ts-a", "cpu_contention", "2023-01-29")
    assert len({c.key for c in cases}) == 4


def test_unknown_fault_kind_is_refused(tmp_path: Path) -> None:
    root = _write_cases(
        tmp_path, [{"day": "2023-01-29", "at": 1, "root_cause": "x", "type": "disk_full"}]
    )
    with pytest.raises(ValueError):
        read_faults(root)


@pytest.mark.skipif(not (DEFAULT_ROOT / "cases.json").is_file(), reason="dataset not mounted")
def test_the_shipped_cases_match_the_readme() -> None:
    faults = read_faults(DEFAULT_ROOT)
    assert len(faults) == 45
    assert {f.kind for f in faults} == set(FaultKind)
    assert {f.day for f in faults} == {"2023-01-29", "2023-01-30"}


def _outcome(
    truth: str,
    ranking: list[str],
    peers: dict[Peer, list[str]],
    group: str = "cpu",
    events: int = 0,
) -> Outcome:
    case = Case(
        suite="s", group=group, key=f"{group}/{truth}", tenant="t", question="q", at=AT, truth=truth
    )
    return Outcome(
        case=case,
        ranking=ranking,
        scores=[1.0] * len(ranking),
        status="success",
        peers=peers,
        change_events=events,
        notes=["a note"],
    )


def test_side_by_side_scores_every_ranker_on_the_same_cases() -> None:
    outcomes = [
        _outcome("a", ["a"], {Peer.BARO: ["b", "a"], Peer.LATEST_CHANGE: []}, group="cpu"),
        _outcome("b", [], {Peer.BARO: ["b"], Peer.LATEST_CHANGE: []}, group="net"),
    ]
    outcomes[0].diagnosis = {"outcome": "ranked", "symptom_seen": True}
    fig = side_by_side(outcomes)
    assert fig["all"][OPSFLOW] == {
        "n": 2,
        "top1": 0.5,
        "top3": 0.5,
        "avg5": 0.5,
        "no_candidate": 1,
    }
    assert fig["all"][Peer.BARO]["top1"] == 0.5 and fig["all"][Peer.BARO]["top3"] == 1.0
    assert fig["by_kind"]["net"][Peer.BARO]["top1"] == 1.0
    assert fig["by_kind"]["cpu"][OPSFLOW]["top1"] == 1.0
    # No workflow read a change event: the latest-change ranker is not reported.
    assert Peer.LATEST_CHANGE not in fig["all"] and "latest_change" in fig
    assert fig["opsflow_statuses"] == {"success": 2}
    assert fig["opsflow_outcomes"] == {"none": 1, "ranked": 1}


def test_latest_change_reported_where_events_were_read() -> None:
    outcomes = [
        _outcome("a", ["b"], {Peer.BARO: [], Peer.LATEST_CHANGE: ["a"]}, events=2),
        _outcome("b", ["b"], {Peer.BARO: [], Peer.LATEST_CHANGE: []}),
    ]
    fig = side_by_side(outcomes)
    assert fig["all"][Peer.LATEST_CHANGE]["top1"] == 0.5
    assert fig["all"][Peer.BARO]["no_candidate"] == 2
    rows = headline_rows({"synthetic": {"vs_peers": fig}, "mode": "quick"})
    assert {(r["dataset"], r["kind"], r["ranker"]) for r in rows} >= {
        ("synthetic", "all", OPSFLOW),
        ("synthetic", "all", Peer.BARO),
        ("synthetic", "cpu", Peer.LATEST_CHANGE),
    }


def test_listing_shows_each_rankers_top_three_status_and_notes() -> None:
    out = _outcome(
        "c", ["a", "b", "c", "d"], {Peer.BARO: ["c", "x", "y", "z"], Peer.LATEST_CHANGE: []}
    )
    out.baro_series = ["c cpu 40", "x rps 9", "y cpu 2", "z cpu 1"]
    item = out.listing()
    assert item["opsflow"] == {"rank": 3, "top": ["a", "b", "c"], "scores": [1.0, 1.0, 1.0]}
    assert item[Peer.BARO] == {
        "rank": 1,
        "top": ["c", "x", "y"],
        "series": ["c cpu 40", "x rps 9", "y cpu 2"],
    }
    assert item[Peer.LATEST_CHANGE] == {"rank": None, "top": []}
    assert item["status"] == "success" and item["notes"] == ["a note"]
    assert item["diagnosis"] is None
    # The peer view does not touch OpsFlow's own answer.
    assert out.as_peer(Peer.BARO).rank == 1 and out.rank == 3
