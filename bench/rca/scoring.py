"""Cases, outcomes and the accuracy figures of a ranking (AC@k and Avg@5).

AC@k is the fraction of cases whose true root cause is among the first k candidates;
Avg@5 is the mean of AC@1..AC@5 (the PetShop paper's summary figure). A case that got no
answer at all (workflow failure) counts as a miss, never as skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bench.rca.baselines import Peer

K_MAX = 5


@dataclass(frozen=True)
class Case:
    suite: str  # synthetic | petshop | petshop_fault_free
    group: str  # incident kind, or the PetShop issue kind (latency | availability)
    key: str  # stable identifier, for the per-case listing
    tenant: str
    question: str
    at: datetime
    truth: str | None  # None: a fault-free window, where no candidate is the right answer
    scenario: str = ""


@dataclass
class Outcome:
    case: Case
    ranking: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    status: str = ""
    error: str | None = None
    leaked: list[str] = field(default_factory=list)  # CIs named that the tenant does not have
    top_evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the analysis' own notes
    seconds: float = 0.0
    # Peer rankers (bench.rca.baselines) over exactly what this question's workflow read,
    # by ranker name; ``reads`` is the metric tool's note per step (bucket, span).
    peers: dict[Peer, list[str]] = field(default_factory=dict)
    change_events: int = 0  # deploy/config-change events the workflow read
    baro_series: list[str] = field(default_factory=list)  # "ci metric score", best first
    # The peers' input checked against the workflow's own step records (None: not checked).
    inputs_verified: bool | None = None
    # What the analysis came to (``OrchestrationResult.diagnosis``), as JSON.
    diagnosis: dict[str, Any] | None = None
    reads: list[str] = field(default_factory=list)

    @property
    def rank(self) -> int | None:
        """1-based position of the true root cause, None when it is not ranked."""
        truth = self.case.truth
        if truth is None:
            return None
        for pos, ci in enumerate(self.ranking, start=1):
            if ci == truth:
                return pos
        return None

    def hit(self, k: int) -> bool:
        rank = self.rank
        return rank is not None and rank <= k

    def as_peer(self, name: Peer) -> Outcome:
        """This case as the peer ranker ``name`` answered it (empty when it did not run)."""
        return replace(self, ranking=list(self.peers.get(name, [])), scores=[])

    def brief(self) -> dict[str, Any]:
        return {
            "key": self.case.key,
            "question": self.case.question,
            "truth": self.case.truth,
            "rank": self.rank,
            "ranking": self.ranking,
            "scores": self.scores,
            "status": self.status,
            **({"error": self.error} if self.error else {}),
        }

    def listing(self, top: int = 3) -> dict[str, Any]:
        """One line of the per-case listing: OpsFlow's and each peer's top candidates,
        the status and the analysis notes, so a miss can be studied from the JSON."""
        out: dict[str, Any] = {
            "key": self.case.key,
            "question": self.case.question,
            "at": self.case.at.isoformat(),
            "truth": self.case.truth,
            "status": self.status,
            **({"error": self.error} if self.error else {}),
            "opsflow": {
                "rank": self.rank,
                "top": self.ranking[:top],
                "scores": self.scores[:top],
            },
        }
        for name in sorted(self.peers):
            peer = self.as_peer(name)
            out[name] = {"rank": peer.rank, "top": peer.ranking[:top]}
        if self.baro_series:
            out[Peer.BARO]["series"] = self.baro_series[:top]
        out["diagnosis"] = self.diagnosis
        out["notes"] = self.notes
        out["peer_inputs_agree"] = self.inputs_verified
        out["top_evidence"] = self.top_evidence[:2]
        out["reads"] = self.reads
        return out


def accuracy(outcomes: list[Outcome]) -> dict[str, Any]:
    """top1/top3/avg5 over cases that have a truth; None when there are none."""
    scored = [o for o in outcomes if o.case.truth is not None]
    n = len(scored)
    if n == 0:
        return {"n": 0, "top1": None, "top3": None, "avg5": None}
    ac = [sum(o.hit(k) for o in scored) / n for k in range(1, K_MAX + 1)]
    return {
        "n": n,
        "top1": round(ac[0], 3),
        "top3": round(ac[2], 3),
        "avg5": round(sum(ac) / K_MAX, 3),
        "no_candidate": sum(1 for o in scored if not o.ranking),
        "failed": sum(1 for o in scored if o.error is not None),
        "statuses": _statuses(scored),
    }


def _statuses(outcomes: list[Outcome]) -> dict[str, int]:
    """Workflow statuses: ``degraded`` means a tool fell back (e.g. metric rollups)."""
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.status or "unknown"] += 1
    return dict(sorted(counts.items()))


def specificity(outcomes: list[Outcome]) -> dict[str, Any]:
    """Fault-free windows: the fraction whose ranking is empty (higher is better)."""
    clean = [o for o in outcomes if o.case.truth is None]
    if not clean:
        return {"n": 0, "empty_fraction": None}
    empty = sum(1 for o in clean if not o.ranking and o.error is None)
    return {
        "n": len(clean),
        "empty_fraction": round(empty / len(clean), 3),
        "failed": sum(1 for o in clean if o.error is not None),
        "statuses": _statuses(clean),
    }


def grouped(
    outcomes: Iterable[Outcome],
    key: Callable[[Outcome], str],
    figure: Callable[[list[Outcome]], dict[str, Any]] = accuracy,
) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[key(o)].append(o)
    return {name: figure(groups[name]) for name in sorted(groups)}


def leak_report(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    leaks = [o for o in outcomes if o.leaked]
    return {
        "tenant_leak": bool(leaks),
        "leaks": [
            {"key": o.case.key, "tenant": o.case.tenant, "named": o.leaked} for o in leaks[:10]
        ],
    }
