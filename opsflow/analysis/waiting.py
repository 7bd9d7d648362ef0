"""Waiting: latency a CI spends on calls into dependencies that show nothing themselves."""

from __future__ import annotations

from collections.abc import Mapping

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.candidate import FAILING, NOT_CALLED, Candidate, RankInput
from opsflow.analysis.evidence import fmt_ts
from opsflow.analysis.propagation import explains_detection
from opsflow.models.findings import Evidence

# A caller's latency with its own resources unchanged is mostly waiting on what it calls.
_WAIT_SHARE = 0.6


def inherit_waiting(
    cands: list[Candidate], by_name: Mapping[str, Candidate], inp: RankInput, lead_s: float
) -> list[Candidate]:
    """Latency that is waiting: a CI slower while its own resources (judged) show nothing
    and nothing it calls explains it spends the extra time waiting on what it calls, the
    calls into them or their queues (a network delay, a callee's backlog), which is where
    the cause is. Its silent direct dependencies inherit ``_WAIT_SHARE`` of its strength,
    split between them; it keeps the rest. Returns the candidates this adds."""
    added: dict[str, Candidate] = {}
    for cand in list(cands):
        if cand.explained_by is not None or not cand.detections:
            continue
        if not _only_waiting(cand.detections, lead_s):
            continue
        if "saturation" not in inp.judged_families.get(cand.ci, frozenset()):
            continue  # nothing says whether its own resources are busy
        main = cand.detections[0]
        silent = [
            d
            for d in inp.graph.direct_dependencies(cand.ci)
            if inp.ci_types.get(d) not in NOT_CALLED
            and not any(
                explains_detection(det, main, lead_s, inp.slack_s)
                for det in (by_name[d].detections if d in by_name else [])
            )
        ]
        if not silent:
            continue
        share = cand.strength * _WAIT_SHARE / len(silent)
        cand.strength *= 1.0 - _WAIT_SHARE
        cand.evidence.append(
            Evidence(
                kind="topology",
                ci=cand.ci,
                description=f"waiting: {cand.ci} is slower with its own resources unchanged, "
                f"so the time is spent on calls into {', '.join(silent)}",
            )
        )
        for dep in silent:
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


def _only_waiting(dets: list[Detection], lead_s: float) -> bool:
    """Its main trouble is being slower, and it fails, if at all, only as a result: its
    errors began with or just after the slowness (timeouts), nothing else is off."""
    main = dets[0]
    if main.family != "latency":
        return False
    return all(
        d.family == "latency"
        or (d.family in FAILING and main.onset_ts <= d.onset_ts <= main.onset_ts + lead_s)
        for d in dets
    )
