"""OpsFlow side by side with the peer rankers, per dataset and per fault kind.

Every ranker is scored on the same cases with the same arithmetic (``scoring.accuracy``):
OpsFlow's ``root_causes``, and each peer's ranking over exactly the tool results that
question's workflow read. ``latest_change`` is reported only where the workflow read any
deploy or config-change event: on a dataset without events it would be an empty ranking
for every case, which says nothing about the ranker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.rca.baselines import Peer
from bench.rca.scoring import Outcome, accuracy, grouped

OPSFLOW = "opsflow"
_COLUMNS = ("n", "top1", "top3", "avg5", "no_candidate")


def _row(outcomes: list[Outcome]) -> dict[str, Any]:
    fig = accuracy(outcomes)
    return {k: fig.get(k) for k in _COLUMNS}


def rankers(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """The cases with a truth as each ranker answered them (OpsFlow first)."""
    scored = [o for o in outcomes if o.case.truth is not None]
    out: dict[str, list[Outcome]] = {
        OPSFLOW: scored,
        Peer.BARO: [o.as_peer(Peer.BARO) for o in scored],
    }
    if any(o.change_events for o in scored):
        out[Peer.LATEST_CHANGE] = [o.as_peer(Peer.LATEST_CHANGE) for o in scored]
    return out


def side_by_side(
    outcomes: list[Outcome], kind: Callable[[Outcome], str] = lambda o: o.case.group
) -> dict[str, Any]:
    """``{"all": {ranker: row}, "by_kind": {kind: {ranker: row}}}`` plus, for OpsFlow,
    the workflow statuses; a row is n, top1, top3, avg5 and no_candidate (empty rankings)."""
    by_ranker = rankers(outcomes)
    every = {name: _row(outs) for name, outs in by_ranker.items()}
    kinds: dict[str, dict[str, Any]] = {}
    for name, outs in by_ranker.items():
        for group, fig in grouped(outs, kind).items():
            kinds.setdefault(group, {})[name] = {k: fig.get(k) for k in _COLUMNS}
    statuses = accuracy(by_ranker[OPSFLOW]).get("statuses", {})
    note = (
        {}
        if Peer.LATEST_CHANGE in by_ranker
        else {"latest_change": "not reported: the workflows read no deploy/config change"}
    )
    return {
        "all": every,
        "by_kind": kinds,
        "opsflow_statuses": statuses,
        "opsflow_outcomes": outcome_counts(by_ranker[OPSFLOW]),
        "peer_inputs": input_check(by_ranker[OPSFLOW]),
        **note,
    }


def outcome_counts(outcomes: list[Outcome]) -> dict[str, int]:
    """OpsFlow's own verdict per case (``diagnosis.outcome``: ranked, nothing_anomalous,
    nothing_judged, ...); ``none`` when the answer carried no diagnosis."""
    counts: dict[str, int] = {}
    for o in outcomes:
        name = str((o.diagnosis or {}).get("outcome") or "none")
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def input_check(outcomes: list[Outcome]) -> dict[str, int]:
    """How many cases' peer input was checked against the workflow's step records and
    agreed (``Observed.agrees_with``); ``unchecked``: the workflow gave no answer."""
    return {
        "agreed": sum(1 for o in outcomes if o.inputs_verified is True),
        "disagreed": sum(1 for o in outcomes if o.inputs_verified is False),
        "unchecked": sum(1 for o in outcomes if o.inputs_verified is None),
    }


def headline_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat rows (dataset, kind, ranker, figures) of every suite's ``vs_peers``: the table
    ``bench/rca/README.md`` shows."""
    rows: list[dict[str, Any]] = []
    for suite, section in figures.items():
        if not isinstance(section, dict) or "vs_peers" not in section:
            continue
        peers = section["vs_peers"]
        for name, row in peers["all"].items():
            rows.append({"dataset": suite, "kind": "all", "ranker": name, **row})
        for kind, per_ranker in peers["by_kind"].items():
            for name, row in per_ranker.items():
                rows.append({"dataset": suite, "kind": kind, "ranker": name, **row})
    return rows
