"""Stages 3 and 4, candidates and score: every troubled CI in the closure, ranked.

Candidates (``candidate``) are scored here, in the order the rules weigh:
* its strongest excursion, weighted by how relevant the metric's family is to the question
  and by its timing (``Detection.strength``), plus a little for corroborating metrics;
* a recent change on it (deploy, config change), more when anomalies followed it;
* propagation (``propagation``): a CI whose excursion a dependency's (or a dependency's
  change) explains, having started no later, is likely a symptom and is pushed down;
* waiting (``waiting``): latency spent on calls into silent dependencies;
* topology never vetoes: a CI the focus does not depend on is pushed down, not dropped;
* traffic-weighted impact scales excursions by the requests they met (``impact``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.candidate import Candidate, RankInput, lead_seconds
from opsflow.analysis.config import AnalysisConfig, Rule
from opsflow.analysis.evidence import anomaly_evidence, change_evidence, suppression_evidence
from opsflow.analysis.impact import impact_factors, ratio_support, reach_factor
from opsflow.analysis.metrics import HEALTH_FAMILIES
from opsflow.analysis.propagation import aggregate_of, explaining_dependency
from opsflow.analysis.waiting import inherit_waiting
from opsflow.models.findings import Evidence, RootCause
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
_SCORE_SCALE = 1.25
_EVIDENCE_ANOMALIES = 3
_MISALIGNED_FACTOR = 0.5


def rank(inp: RankInput, cfg: AnalysisConfig) -> list[Candidate]:
    weights = _INTENT_WEIGHTS.get(inp.intent, _DEFAULT_WEIGHTS)
    if not cfg.on(Rule.INTENT_WEIGHTS):
        weights = _DEFAULT_WEIGHTS
    paths = inp.graph.paths_from(inp.focus) if inp.focus and inp.focus in inp.graph else {}
    if not cfg.on(Rule.TOPOLOGY):
        paths = {}
    cands = _candidates(inp, weights, cfg)
    lead_s = lead_seconds(inp.slack_s)
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
            cand.explained_by = explaining_dependency(
                cand, by_name, changed, inp.graph, lead_s, inp.slack_s, cfg, inp.ci_types
            ) or aggregate_of(cand, by_name, inp, inp.slack_s)
        # Dependents it can explain: in trouble since no earlier than it was.
        cand.covered = sum(
            1
            for d in inp.graph.dependents(cand.ci) & active
            if by_name[d].onset_ts >= cand.onset_ts - inp.slack_s
        )
    if cfg.on(Rule.WAITING):
        cands += inherit_waiting(cands, by_name, inp, lead_s, cfg)
    for cand in cands:
        _score(cand, paths, inp)
    cands.sort(key=lambda c: (-c.raw, c.onset_ts, c.ci))
    return cands[: cfg.max_candidates]


def _candidates(
    inp: RankInput, weights: Mapping[str, float], cfg: AnalysisConfig
) -> list[Candidate]:
    symptom = _symptom(inp.by_ci.get(inp.focus, []) if inp.focus else [], weights)
    lead_s = lead_seconds(inp.slack_s)

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
    began well after the focus's symptom, while the symptom went on, came too late to
    cause it and weighs half. One that began well before it is not judged: a faint
    symptom crosses the detection threshold late, so its detected onset bounds the real
    one only from above; the onset prior (``Detection.timing``) weighs old shifts."""
    if symptom is None or det is symptom:
        return 1.0
    if det.onset_ts > symptom.onset_ts + lead_s and symptom.end_ts >= det.onset_ts:
        return _MISALIGNED_FACTOR
    return 1.0


def to_root_cause(cand: Candidate) -> RootCause:
    return RootCause(
        ci=cand.ci, score=round(min(1.0, cand.raw / _SCORE_SCALE), 3), evidence=cand.evidence
    )


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
