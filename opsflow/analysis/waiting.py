"""Waiting: latency a CI spends on calls into dependencies that show nothing themselves."""

from __future__ import annotations

from collections.abc import Mapping

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.candidate import FAILING, NOT_CALLED, Candidate, RankInput
from opsflow.analysis.config import AnalysisConfig
from opsflow.analysis.evidence import fmt_ts
from opsflow.analysis.propagation import (
    EXPLAIN_SEVERITY_ACROSS,
    change_precedes,
    explains_detection,
)
from opsflow.models.findings import Evidence

# A caller's latency with its own resources unchanged is mostly waiting on what it calls.
_WAIT_SHARE = 0.6


def inherit_waiting(
    cands: list[Candidate],
    by_name: Mapping[str, Candidate],
    inp: RankInput,
    lead_s: float,
    cfg: AnalysisConfig,
) -> list[Candidate]:
    """Latency that is waiting: a CI slower while its own resources (judged) show nothing
    and nothing it calls explains it spends the extra time on calls into what it calls
    (a network delay, a callee's backlog) or on its own side of those calls (its own
    network interface). Which one is told by what is common:
    * a silent dependency that another CI waits on at the same time is the shared part:
      it inherits ``_WAIT_SHARE`` of each waiting caller's strength;
    * a lone silent dependency is the only place the time can go besides the caller's own
      network: it inherits the share too;
    * several silent dependencies at once, none waited on by anyone else: the common
      factor is the caller itself, which keeps its strength.
    Returns the candidates this adds."""
    waits = {
        cand.ci: (cand, silent)
        for cand in cands
        if (silent := _silent_dependencies(cand, by_name, inp, lead_s, cfg))
    }
    added: dict[str, Candidate] = {}
    for cand, silent in waits.values():
        shared = [
            dep
            for dep in silent
            if any(
                other is not cand
                and dep in other_silent
                and abs(other.onset_ts - cand.onset_ts) <= lead_s
                for other, other_silent in waits.values()
            )
        ]
        targets = shared or (silent if len(silent) == 1 else [])
        if not targets:
            cand.evidence.append(
                Evidence(
                    kind="topology",
                    ci=cand.ci,
                    description=f"waiting: {cand.ci} is slower with its own resources "
                    f"unchanged while waiting on {', '.join(silent)} at once, none of them "
                    "slow for anyone else: its own side of the calls (its network) is the "
                    "common factor",
                )
            )
            continue
        share = cand.strength * _WAIT_SHARE / len(targets)
        cand.strength *= 1.0 - _WAIT_SHARE
        cand.evidence.append(
            Evidence(
                kind="topology",
                ci=cand.ci,
                description=f"waiting: {cand.ci} is slower with its own resources unchanged, "
                f"so the time is spent on calls into {', '.join(targets)}",
            )
        )
        for dep in targets:
            # Several callers waiting on one silent dependency: it explains all of them.
            target = by_name.get(dep) or added.setdefault(dep, Candidate(dep, []))
            target.inherited += share
            target.onset_ts = min(target.onset_ts, cand.onset_ts)
            target.evidence.append(
                Evidence(
                    kind="topology",
                    ci=cand.ci,
                    description=f"{cand.ci} waits on calls into {dep}: slower since "
                    f"{fmt_ts(cand.detections[0].anomaly.onset)} with its own resources "
                    f"unchanged, while {dep} shows no anomaly of its own",
                )
            )
    return list(added.values())


def _silent_dependencies(
    cand: Candidate,
    by_name: Mapping[str, Candidate],
    inp: RankInput,
    lead_s: float,
    cfg: AnalysisConfig,
) -> list[str]:
    """The direct dependencies a waiting CI may be waiting on: none of them shows an
    excursion that explains its slowness. Empty when it is not waiting, or when a change
    of its own (a deploy) came just before its trouble: new code explains its own time."""
    if cand.explained_by is not None or not cand.detections:
        return []
    if cand.changes and change_precedes(cand, cand.detections[0], cfg, inp.slack_s):
        return []
    if not _only_waiting(cand.detections, lead_s):
        return []
    if "saturation" not in inp.judged_families.get(cand.ci, frozenset()):
        return []  # nothing says whether its own resources are busy
    main = cand.detections[0]
    return [
        d
        for d in inp.graph.direct_dependencies(cand.ci)
        if inp.ci_types.get(d) not in NOT_CALLED
        and not any(
            explains_detection(det, main, lead_s, inp.slack_s)
            for det in (by_name[d].detections if d in by_name else [])
        )
    ]


def _only_waiting(dets: list[Detection], lead_s: float) -> bool:
    """Its main trouble is being slower, and it fails, if at all, only as a result: its
    errors began with or just after the slowness (timeouts). Its own resources are
    unchanged or moved far less than its latency (below the bar at which a saturation
    explains latency, ``EXPLAIN_SEVERITY_ACROSS``): a CPU a little busier is not what
    made it several times slower."""
    main = dets[0]
    if main.family != "latency":
        return False
    return all(
        d.family == "latency"
        or (d.family in FAILING and main.onset_ts <= d.onset_ts <= main.onset_ts + lead_s)
        or (d.family == "saturation" and d.severity < EXPLAIN_SEVERITY_ACROSS * main.severity)
        for d in dets
    )
