"""Root-cause candidates: anomalous CIs scored by strength, position and changes.

The rules, in the order they weigh:
* only an anomalous CI is a candidate; the stronger and the more relevant to the
  question (latency for "why slow", errors/availability for "why failing"), the higher;
* a CI whose anomaly is explained by an anomalous dependency that started no later
  is a symptom and is pushed down; the deepest anomalous CI on the path wins;
* a CI the focus does not depend on cannot explain the focus's symptom;
* a CI serving little traffic accounts for little of the callers' waiting or failures
  (``impact``): its strength is scaled by its share of the traffic-weighted excursion;
* a deploy/config change shortly before the onset boosts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.changes import Correlation
from opsflow.analysis.config import AnalysisConfig
from opsflow.analysis.evidence import anomaly_evidence, change_evidence, fmt_ts
from opsflow.analysis.impact import Traffic, impact_factors
from opsflow.analysis.metrics import HEALTH_FAMILIES, explains
from opsflow.analysis.paths import DependencyGraph
from opsflow.models.findings import Evidence, RootCause

_INTENT_WEIGHTS: dict[str, dict[str, float]] = {
    "why_slow": {
        "latency": 1.0,
        "saturation": 0.85,
        "errors": 0.6,
        "availability": 0.6,
        "load": 0.5,
        "unknown": 0.7,
    },
    "why_failing": {
        "errors": 1.0,
        "availability": 1.0,
        "latency": 0.5,
        "saturation": 0.7,
        "load": 0.6,
        "unknown": 0.7,
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

_SYMPTOM_FACTOR = 0.35
_UNREACHABLE_FACTOR = 0.3
_DEPTH_BONUS = 0.04
_MAX_DEPTH = 5
_CORROBORATION_BONUS = 0.05
_OWN_CHANGE_BOOST = 0.3
_DEPENDENCY_CHANGE_BOOST = 0.15
_ALERT_BOOST = 0.05
_EARLIEST_BONUS = 0.05
_COVERAGE_BONUS = 0.05
_MAX_COVERAGE = 3
# A dependency explains a caller's latency only if it added a comparable amount of it.
_LATENCY_SHARE = 0.3
_SCORE_SCALE = 1.25
# A cause may lead its symptom by this many sampling intervals (at least _MIN_LEAD_S).
_LEAD_STEPS = 1.5
_MIN_LEAD_S = 300.0
_TIMING_PENALTY = 0.5
_EVIDENCE_ANOMALIES = 3
_FAILING = frozenset({"errors", "availability"})


@dataclass
class Candidate:
    ci: str
    detections: list[Detection]  # best first
    strength: float = 0.0
    onset_ts: float = 0.0
    path: list[str] = field(default_factory=list)
    explained_by: str | None = None
    timing: float = 1.0
    covered: int = 0  # troubled CIs that depend on this one
    impact: float = 1.0  # traffic-weighted share factor (1: largest, or not judged)
    traffic: Traffic | None = None
    volume: float | None = None  # its traffic during the main excursion
    raw: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)


def rank(
    by_ci: Mapping[str, list[Detection]],
    graph: DependencyGraph,
    focus: str | None,
    intent: str,
    correlations: list[Correlation],
    alerted: Mapping[str, datetime],
    cfg: AnalysisConfig,
    slack_s: float,
    traffic: Mapping[str, Traffic],
) -> list[Candidate]:
    weights = _INTENT_WEIGHTS.get(intent, _DEFAULT_WEIGHTS)
    paths = graph.paths_from(focus) if focus is not None and focus in graph else {}
    symptom = _symptom(by_ci.get(focus, []) if focus is not None else [], weights)
    lead_s = max(_LEAD_STEPS * slack_s, _MIN_LEAD_S)

    def effective(det: Detection) -> float:
        return _weighted(det, weights) * _timing_factor(det, symptom, lead_s)

    cands: list[Candidate] = []
    for ci in sorted(by_ci):
        dets = sorted(by_ci[ci], key=lambda d: (-effective(d), d.onset_ts, d.anomaly.metric))
        cand = Candidate(ci, dets, onset_ts=dets[0].onset_ts)
        extra = min(3, len({d.anomaly.metric for d in dets}) - 1)
        cand.strength = effective(dets[0]) + _CORROBORATION_BONUS * extra
        cand.timing = _timing_factor(dets[0], symptom, lead_s)
        cand.path = paths.get(ci, [])
        cand.traffic = traffic.get(ci)
        if cand.traffic is not None:
            cand.volume = cand.traffic.during(dets[0].onset_ts, dets[0].end_ts)
        cands.append(cand)
    factors = impact_factors({c.ci: c.detections for c in cands}, traffic, focus)
    for cand in cands:
        cand.impact = factors.get(cand.ci, 1.0)
        cand.strength *= cand.impact
    by_name = {c.ci: c for c in cands}
    # CIs whose own trouble is fresh and a health problem: the ones a cause must explain.
    active = {c.ci for c in cands if c.timing == 1.0 and c.detections[0].family in HEALTH_FAMILIES}
    for cand in cands:
        cand.explained_by = _explaining_dependency(cand, by_name, graph, lead_s, slack_s)
        # A dependency shared by several troubled callers explains more of what is seen
        # than a leaf behind a single caller showing the same signal.
        cand.covered = len(graph.dependents(cand.ci) & active)
    earliest = min((c.onset_ts for c in cands if c.explained_by is None), default=None)
    for cand in cands:
        _score(cand, paths, focus, earliest, correlations, alerted, graph, symptom)
    cands.sort(key=lambda c: (-c.raw, c.onset_ts, c.ci))
    return cands[: cfg.max_candidates]


def _symptom(dets: list[Detection], weights: Mapping[str, float]) -> Detection | None:
    """The focus CI's own anomaly that the question is about (latency for "why slow")."""
    if not dets:
        return None
    top = max(weights.values())
    return max(
        dets, key=lambda d: (weights.get(d.family, 0.0) >= top, _weighted(d, weights), -d.onset_ts)
    )


def _timing_factor(det: Detection, symptom: Detection | None, lead_s: float) -> float:
    """How plausible ``det`` is as the cause of the focus's symptom, from timing alone.

    A cause goes bad at, or shortly before, the symptom. A dependency that was already
    far off baseline while the focus was still healthy (a long-standing condition, or
    a stale baseline for that series) did not, by itself, start the focus's problem;
    one whose excursion was over before the symptom began cannot explain it either.
    """
    if det is symptom:
        return 1.0
    if symptom is None:
        # No symptom to line up with: still prefer an excursion that began inside the
        # window over one that was already under way when the window opened.
        return _TIMING_PENALTY if det.censored else 1.0
    if det.end_ts < symptom.onset_ts - lead_s:
        return _TIMING_PENALTY
    if det.onset_ts < symptom.onset_ts - lead_s:
        return _TIMING_PENALTY
    if det.censored and not symptom.censored and det.onset_ts < symptom.onset_ts:
        return _TIMING_PENALTY
    return 1.0


def to_root_cause(cand: Candidate) -> RootCause:
    return RootCause(
        ci=cand.ci, score=round(min(1.0, cand.raw / _SCORE_SCALE), 3), evidence=cand.evidence
    )


def _weighted(det: Detection, weights: Mapping[str, float]) -> float:
    return det.severity * det.weight * weights.get(det.family, 0.7)


def _explaining_dependency(
    cand: Candidate,
    by_name: Mapping[str, Candidate],
    graph: DependencyGraph,
    lead_s: float,
    slack_s: float,
) -> str | None:
    """The anomalous dependency that best explains ``cand``'s main anomaly, if any."""
    main = cand.detections[0]
    same_metric = {d.anomaly.metric: d for d in cand.detections}
    own_latency = next((d for d in cand.detections if d.family == "latency"), None)
    best: tuple[float, str] | None = None
    for dep in sorted(graph.dependencies(cand.ci)):
        other = by_name.get(dep)
        if other is None:
            continue
        for det in other.detections:
            parent = same_metric.get(det.anomaly.metric, main)
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
    return None if best is None else best[1]


def _explains(child: Detection, parent: Detection, lead_s: float, slack_s: float) -> bool:
    if not explains(child.family, parent.family):
        return False
    if child.onset_ts > parent.onset_ts + slack_s:
        return False  # a dependency that went bad later cannot have caused it
    if _timing_factor(child, parent, lead_s) < 1.0:
        return False  # bad long before the caller, which stayed fine meanwhile
    if child.family == parent.family == "latency" and parent.delta > 0.0:
        # Latency in one unit across a tenant: the dependency must account for a real
        # share of the caller's extra time, not a few milliseconds of drift.
        return child.delta >= _LATENCY_SHARE * parent.delta
    return True


def _score(
    cand: Candidate,
    paths: Mapping[str, list[str]],
    focus: str | None,
    earliest: float | None,
    correlations: list[Correlation],
    alerted: Mapping[str, datetime],
    graph: DependencyGraph,
    symptom: Detection | None,
) -> None:
    raw = cand.strength
    ev = cand.evidence
    ev.extend(anomaly_evidence(d) for d in cand.detections[:_EVIDENCE_ANOMALIES])
    if cand.timing < 1.0 and symptom is not None:
        ev.append(
            Evidence(
                kind="topology",
                ci=cand.ci,
                description=f"timing: off baseline before {symptom.anomaly.ci}'s "
                f"{symptom.anomaly.metric} symptom began (since "
                f"{fmt_ts(symptom.anomaly.onset)}), or over before it",
            )
        )
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
                "whose anomaly started no later",
            )
        )
    if paths:
        if cand.path:
            depth = len(cand.path) - 1
            raw += _DEPTH_BONUS * min(depth, _MAX_DEPTH)
            if depth > 0:
                ev.append(
                    Evidence(
                        kind="path",
                        ci=cand.ci,
                        description="dependency path: " + " -> ".join(cand.path),
                    )
                )
        else:
            raw *= _UNREACHABLE_FACTOR
            ev.append(
                Evidence(
                    kind="topology", ci=cand.ci, description=f"{focus} does not depend on {cand.ci}"
                )
            )
    if cand.explained_by is None and earliest is not None and cand.onset_ts <= earliest:
        raw += _EARLIEST_BONUS
    if cand.covered > 1:
        raw += _COVERAGE_BONUS * min(cand.covered - 1, _MAX_COVERAGE)
        ev.append(
            Evidence(
                kind="topology",
                ci=cand.ci,
                description=f"{cand.covered} anomalous CIs depend on {cand.ci}",
            )
        )
    own = [c for c in correlations if c.change.ci == cand.ci]
    upstream = [
        c
        for c in correlations
        if c.anomalous_ci == cand.ci
        and c.change.ci != cand.ci
        and c.change.ci in graph.dependencies(cand.ci)
    ]
    if own:
        raw += _OWN_CHANGE_BOOST
    elif upstream:
        raw += _DEPENDENCY_CHANGE_BOOST
    for corr in (own or upstream)[:2]:
        ev.append(change_evidence(corr))
    if cand.ci in alerted:
        raw += _ALERT_BOOST
        ev.append(
            Evidence(
                kind="alert",
                ci=cand.ci,
                ts=alerted[cand.ci],
                description=f"alert on {cand.ci} during the window",
            )
        )
    cand.raw = raw
