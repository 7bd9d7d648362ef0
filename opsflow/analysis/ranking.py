"""Stages 3 and 4, candidates and score: every troubled CI in the closure, ranked.

A candidate is any CI the investigation read with an excursion (the asked CI itself
included) or a recent change. Its score, in the order the rules weigh:
* its strongest excursion, weighted by how relevant the metric's family is to the question
  and by its timing (``Detection.strength``), plus a little for corroborating metrics;
* a recent change on it (deploy, config change), more when anomalies followed it;
* propagation: a CI whose excursion a dependency's (or a dependency's change) explains,
  having started no later, is likely a symptom and is pushed down;
* topology never vetoes: a CI the focus does not depend on is pushed down, not dropped;
* traffic-weighted impact scales excursions by the requests they met (``impact``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.changes import Correlation
from opsflow.analysis.config import AnalysisConfig, Rule
from opsflow.analysis.evidence import (
    anomaly_evidence,
    change_evidence,
    fmt_ts,
    suppression_evidence,
)
from opsflow.analysis.impact import Traffic, impact_factors, ratio_support, reach_factor
from opsflow.analysis.metrics import HEALTH_FAMILIES, explains, resource_of, same_resource
from opsflow.analysis.paths import DependencyGraph
from opsflow.models.findings import Change, Evidence, RootCause
from opsflow.utc import epoch

# How relevant each metric family is to the question: its own symptom family 1.0, the
# families that commonly cause it close behind, a traffic change (mostly an effect) least.
_INTENT_WEIGHTS: dict[str, dict[str, float]] = {
    "why_slow": {
        "latency": 1.0,
        "saturation": 0.9,
        "errors": 0.6,
        "availability": 0.6,
        "load": 0.5,
        "unknown": 0.8,
    },
    "why_failing": {
        "errors": 1.0,
        "availability": 1.0,
        "latency": 0.6,
        "saturation": 0.8,
        "load": 0.6,
        "unknown": 0.8,
    },
}
_DEFAULT_WEIGHTS = {
    "latency": 1.0,
    "saturation": 1.0,
    "errors": 1.0,
    "availability": 1.0,
    "load": 0.6,
    "unknown": 0.8,
}

# A symptom keeps 0.4 of its score: below any comparable cause, above a far weaker one.
_SYMPTOM_FACTOR = 0.4
_UNREACHABLE_FACTOR = 0.3
_CORROBORATION_BONUS = 0.05
_MAX_CORROBORATION = 3
# A change is scored like a full-strength excursion at half weight; one that anomalies on
# the CI or its dependents followed counts in full.
_CHANGE_WEIGHT = 0.5
_UNFOLLOWED_CHANGE = 0.5
_ALERT_BOOST = 0.05
_COVERAGE_BONUS = 0.05
_MAX_COVERAGE = 3
# A dependency explains a caller's latency only if it added a comparable amount of it.
_LATENCY_SHARE = 0.3
_SCORE_SCALE = 1.25
# A cause may lead its symptom by this many sampling intervals (at least _MIN_LEAD_S): the
# same lag of one to three rows the metric tool reads past a past reference time.
_LEAD_STEPS = 3.0
_MIN_LEAD_S = 300.0
_EVIDENCE_ANOMALIES = 3
_MISALIGNED_FACTOR = 0.5
# A caller's latency with its own resources unchanged is mostly waiting on what it calls.
_WAIT_SHARE = 0.6
# What a service runs on is not called: nothing waits on calls into a host.
_NOT_CALLED = frozenset({"host", "node", "vm"})
# A cause shows at least about as clearly as the symptom it explains.
_EXPLAIN_SEVERITY = 0.75
_EXPLAIN_SEVERITY_ACROSS = 0.5
_FAILING = frozenset({"errors", "availability"})


@dataclass
class Candidate:
    ci: str
    detections: list[Detection]  # best first
    changes: list[Correlation | Change] = field(default_factory=list)
    strength: float = 0.0
    change_score: float = 0.0
    inherited: float = 0.0  # from a caller waiting on it (``_waiting``)
    onset_ts: float = math.inf
    path: list[str] = field(default_factory=list)
    explained_by: str | None = None
    covered: int = 0  # troubled CIs that depend on this one
    impact: float = 1.0  # traffic-weighted share factor (1: largest, or not judged)
    traffic: Traffic | None = None
    volume: float | None = None  # its traffic during the main excursion
    raw: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class RankInput:
    """Everything the ranking reads, from the earlier stages."""

    by_ci: Mapping[str, list[Detection]]
    graph: DependencyGraph
    focus: str | None
    intent: str
    changes: list[Change]
    correlations: list[Correlation]
    alerted: Mapping[str, datetime]
    traffic: Mapping[str, Traffic]
    ref_ts: float
    slack_s: float
    judged_families: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ci_types: Mapping[str, str] = field(default_factory=dict)


def rank(inp: RankInput, cfg: AnalysisConfig) -> list[Candidate]:
    weights = _INTENT_WEIGHTS.get(inp.intent, _DEFAULT_WEIGHTS)
    if not cfg.on(Rule.INTENT_WEIGHTS):
        weights = _DEFAULT_WEIGHTS
    paths = inp.graph.paths_from(inp.focus) if inp.focus and inp.focus in inp.graph else {}
    if not cfg.on(Rule.TOPOLOGY):
        paths = {}
    cands = _candidates(inp, weights, cfg)
    lead_s = max(_LEAD_STEPS * inp.slack_s, _MIN_LEAD_S)
    factors = (
        impact_factors({c.ci: c.detections for c in cands if c.detections}, inp.traffic, inp.focus)
        if cfg.on(Rule.IMPACT)
        else {}
    )
    by_name = {c.ci: c for c in cands}
    changed = {c.ci: c for c in cands if c.change_score > 0.0}
    active = {
        c.ci
        for c in cands
        if c.detections and c.detections[0].family in HEALTH_FAMILIES and c.ci != inp.focus
    }
    if inp.focus in by_name and by_name[inp.focus].detections:
        active.add(inp.focus)
    for cand in cands:
        reach = reach_factor(cand.ci, inp.focus, inp.traffic) if cfg.on(Rule.REACH) else 1.0
        cand.impact = factors.get(cand.ci, 1.0) * reach
        cand.strength *= cand.impact
        if cfg.on(Rule.PROPAGATION):
            cand.explained_by = _explaining_dependency(
                cand, by_name, changed, inp.graph, lead_s, inp.slack_s, cfg
            ) or _aggregate_of(cand, by_name, inp, inp.slack_s)
        cand.covered = len(inp.graph.dependents(cand.ci) & active)
    if cfg.on(Rule.WAITING):
        cands += _waiting(cands, by_name, inp, lead_s)
    for cand in cands:
        _score(cand, paths, inp)
    cands.sort(key=lambda c: (-c.raw, c.onset_ts, c.ci))
    return cands[: cfg.max_candidates]


def _waiting(
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
            if inp.ci_types.get(d) not in _NOT_CALLED
            and not any(
                _explains(det, main, lead_s, inp.slack_s)
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
        or (d.family in _FAILING and main.onset_ts <= d.onset_ts <= main.onset_ts + lead_s)
        for d in dets
    )


def _candidates(
    inp: RankInput, weights: Mapping[str, float], cfg: AnalysisConfig
) -> list[Candidate]:
    symptom = _symptom(inp.by_ci.get(inp.focus, []) if inp.focus else [], weights)
    lead_s = max(_LEAD_STEPS * inp.slack_s, _MIN_LEAD_S)

    def effective(det: Detection) -> float:
        support = (
            ratio_support(det, inp.traffic.get(det.anomaly.ci), inp.slack_s)
            if cfg.on(Rule.RATIO_SUPPORT)
            else 1.0
        )
        aligned = _alignment(det, symptom, lead_s) if cfg.on(Rule.ALIGNMENT) else 1.0
        return det.strength * weights.get(det.family, 0.7) * support * aligned

    out: dict[str, Candidate] = {}
    for ci in sorted(inp.by_ci):
        dets = sorted(inp.by_ci[ci], key=lambda d: (-effective(d), d.onset_ts, d.anomaly.metric))
        cand = Candidate(ci, dets, onset_ts=dets[0].onset_ts)
        main = dets[0]
        extra = len({d.anomaly.metric for d in dets if d.timing >= 0.5 * main.timing}) - 1
        cand.strength = effective(main) + _CORROBORATION_BONUS * min(_MAX_CORROBORATION, extra)
        cand.traffic = inp.traffic.get(ci)
        if cand.traffic is not None:
            cand.volume = cand.traffic.during(main.onset_ts, main.end_ts)
        out[ci] = cand
    followed = {(id(c.change)): c for c in inp.correlations}
    for change in inp.changes if cfg.on(Rule.CHANGES) else []:
        if not change.ci:
            continue
        age = max(0.0, inp.ref_ts - epoch(change.ts))
        corr = followed.get(id(change))
        score = _CHANGE_WEIGHT * math.exp(-age / cfg.change_tau_s)
        score *= 1.0 if corr is not None else _UNFOLLOWED_CHANGE
        cand = out.setdefault(change.ci, Candidate(change.ci, [], onset_ts=epoch(change.ts)))
        if score > cand.change_score:
            cand.change_score = score
        cand.changes.append(corr if corr is not None else change)
    return list(out.values())


def _symptom(dets: list[Detection], weights: Mapping[str, float]) -> Detection | None:
    """The focus's own excursion the question is about (latency for "why slow"), if any."""
    top = max(weights.values())
    asked = [d for d in dets if weights.get(d.family, 0.0) >= top]
    return max(asked, key=lambda d: (d.strength, -d.onset_ts)) if asked else None


def _alignment(det: Detection, symptom: Detection | None, lead_s: float) -> float:
    """A cause goes bad at, or shortly before, the symptom it causes: in request/response
    systems a failing dependency fails its callers within a few samples. An excursion that
    began well before the focus's symptom (the focus stayed fine meanwhile) is less likely
    to be its cause and weighs half. One that began after it is not judged here: the
    symptom may be an earlier trouble's, and the onset prior (``Detection.timing``) already
    anchors every excursion at the reference time."""
    if symptom is None or det is symptom:
        return 1.0
    return _MISALIGNED_FACTOR if det.onset_ts < symptom.onset_ts - lead_s else 1.0


def to_root_cause(cand: Candidate) -> RootCause:
    return RootCause(
        ci=cand.ci, score=round(min(1.0, cand.raw / _SCORE_SCALE), 3), evidence=cand.evidence
    )


def _explaining_dependency(
    cand: Candidate,
    by_name: Mapping[str, Candidate],
    changed: Mapping[str, Candidate],
    graph: DependencyGraph,
    lead_s: float,
    slack_s: float,
    cfg: AnalysisConfig,
) -> str | None:
    """The dependency that best explains ``cand``'s main anomaly, if any: an anomalous one
    whose excursion can cause it and began no later, or one changed shortly before it."""
    if not cand.detections:
        return None
    main = cand.detections[0]
    own_latency = next((d for d in cand.detections if d.family == "latency"), None)
    began = _episode_onset(cand.detections, lead_s)
    best: tuple[float, str] | None = None
    for dep in sorted(graph.dependencies(cand.ci)):
        other = by_name.get(dep)
        for det in other.detections if other is not None else []:
            # Only an explanation of the trouble it is ranked for counts: a dependency that
            # explains a side blip of a candidate leaves its main excursion unexplained.
            parent = main
            if det.onset_ts > began + slack_s:
                continue  # the candidate was in trouble before the dependency was
            if det.family == "latency" and parent.family in _FAILING:
                # A slow dependency fails its callers through timeouts, which make the
                # caller slow too: judge it against the caller's own extra time.
                if own_latency is None:
                    continue
                parent = own_latency
            if not _explains(det, parent, lead_s, slack_s):
                continue
            if best is None or det.severity > best[0]:
                best = (det.severity, dep)
        change = changed.get(dep)
        if (
            change is not None
            and _change_precedes(change, main, cfg, slack_s)
            and (best is None or change.change_score > best[0])
        ):
            best = (change.change_score, dep)
    if best is not None and _self_explained(cand.detections, best[0], slack_s):
        return None
    return None if best is None else best[1]


def _episode_onset(dets: list[Detection], lead_s: float) -> float:
    """When the candidate's trouble began: the earliest health excursion still under way
    when its main one began and starting at most ``lead_s`` before it (a slow-down that
    turned into errors began with the slow-down)."""
    main = dets[0]
    return min(
        (
            d.onset_ts
            for d in dets
            if d.family in HEALTH_FAMILIES
            and main.onset_ts - lead_s <= d.onset_ts
            and d.end_ts >= main.onset_ts
        ),
        default=main.onset_ts,
    )


def _self_explained(dets: list[Detection], outside: float, slack_s: float) -> bool:
    """Its own resources saturated with its trouble, at least as clearly as the best
    explanation from outside: its own saturation is the simpler cause. Only a consumed
    resource (CPU, memory, disk, network) counts: connections, queues and threads in use
    grow with latency itself (Little's law), so they are its effect, not its cause."""
    main = dets[0]
    return any(
        d is not main
        and d.family == "saturation"
        and resource_of(d.anomaly.metric) is not None
        and explains(d.family, main.family)
        and d.onset_ts <= main.onset_ts + slack_s
        and d.severity >= outside
        for d in dets
    )


def _aggregate_of(
    cand: Candidate, by_name: Mapping[str, Candidate], inp: RankInput, slack_s: float
) -> str | None:
    """A host's CPU or memory is the sum of what runs on it: when a workload on it
    saturates at the same time, by a larger relative change, the host's excursion is that
    workload's doing, not a cause of its own."""
    if not cand.detections or inp.ci_types.get(cand.ci) not in _NOT_CALLED:
        return None
    main = cand.detections[0]
    if main.family != "saturation":
        return None
    for user in inp.graph.direct_dependents(cand.ci):
        other = by_name.get(user)
        for det in other.detections if other is not None else []:
            if (
                det.family == "saturation"
                and same_resource(det.anomaly.metric, main.anomaly.metric)
                and abs(det.onset_ts - main.onset_ts) <= slack_s
                and det.rel_change >= main.rel_change
            ):
                return user
    return None


def _change_precedes(changed: Candidate, det: Detection, cfg: AnalysisConfig, slack: float) -> bool:
    for item in changed.changes:
        ts = epoch(item.change.ts if isinstance(item, Correlation) else item.ts)
        if -slack <= det.onset_ts - ts <= cfg.change_window_s + slack:
            return True
    return False


def _explains(child: Detection, parent: Detection, lead_s: float, slack_s: float) -> bool:
    if not explains(child.family, parent.family):
        return False
    if child.onset_ts > parent.onset_ts + slack_s:
        return False  # a dependency that went bad later cannot have caused it
    if child.onset_ts < parent.onset_ts - lead_s:
        return False  # bad long before the caller, which stayed fine meanwhile
    if child.end_ts < parent.onset_ts - slack_s:
        # Calls feel a dependency while it is bad: one that recovered before the caller
        # went bad did not cause it.
        return False
    if child.censored and not parent.censored:
        return False  # already under way when the window opened: an older condition
    bar = _EXPLAIN_SEVERITY if child.family == parent.family else _EXPLAIN_SEVERITY_ACROSS
    if child.severity < bar * parent.severity:
        # A faint blip on a dependency does not explain a clear excursion. Across kinds
        # severities compare only roughly (a saturated CPU at +80 % makes latency grow by
        # 1000 %), so the bar is lower there.
        return False
    if child.family == parent.family == "latency" and parent.delta > 0.0:
        # Latency in one unit across a tenant: the dependency must account for a real
        # share of the caller's extra time, not a few milliseconds of drift.
        return child.delta >= _LATENCY_SHARE * parent.delta
    return True


def _score(cand: Candidate, paths: Mapping[str, list[str]], inp: RankInput) -> None:
    raw = cand.strength + cand.change_score + cand.inherited
    ev = cand.evidence
    ev.extend(anomaly_evidence(d) for d in cand.detections[:_EVIDENCE_ANOMALIES])
    if cand.detections:
        ev.extend(suppression_evidence(cand.detections[0], inp.ref_ts))
    if cand.impact < 1.0 and cand.traffic is not None and cand.volume is not None:
        main = cand.detections[0].anomaly
        ev.append(
            Evidence(
                kind="traffic",
                ci=cand.ci,
                metric=cand.traffic.metric,
                value=cand.volume,
                step_id=cand.traffic.step_id,
                description=f"traffic: {cand.traffic.metric} {cand.volume:.3g} during its "
                f"{main.metric} excursion, so it weighs {cand.impact:.2f} of the busiest "
                "candidate's traffic-weighted excursion",
            )
        )
    if cand.explained_by is not None:
        raw *= _SYMPTOM_FACTOR
        ev.append(
            Evidence(
                kind="topology",
                ci=cand.explained_by,
                description=f"likely a symptom: depends on {cand.explained_by}, "
                "whose anomaly or change came no later",
            )
        )
    if paths:
        path = paths.get(cand.ci)
        if path is not None:
            cand.path = path
            if len(path) > 1:
                ev.append(
                    Evidence(
                        kind="path", ci=cand.ci, description="dependency path: " + " -> ".join(path)
                    )
                )
        else:
            raw *= _UNREACHABLE_FACTOR
            ev.append(
                Evidence(
                    kind="topology",
                    ci=cand.ci,
                    description=f"{inp.focus} does not depend on {cand.ci}",
                )
            )
    if cand.covered > 1:
        raw += _COVERAGE_BONUS * min(cand.covered - 1, _MAX_COVERAGE)
        ev.append(
            Evidence(
                kind="topology",
                ci=cand.ci,
                description=f"{cand.covered} anomalous CIs depend on {cand.ci}",
            )
        )
    for item in cand.changes[:2]:
        ev.append(change_evidence(item))
    if cand.ci in inp.alerted:
        raw += _ALERT_BOOST
        ev.append(
            Evidence(
                kind="alert",
                ci=cand.ci,
                ts=inp.alerted[cand.ci],
                description=f"alert on {cand.ci} during the window",
            )
        )
    cand.raw = raw
