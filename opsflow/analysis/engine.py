"""``analyze``: the deterministic findings of the aggregation phase.

A pure function of its input (no I/O, no wall clock): the same ``AnalysisInput``
always yields the same ``Findings``, so a retried ``analyze`` activity is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from statistics import median

from opsflow.analysis.anomalies import Detection, detect, split_window
from opsflow.analysis.changes import changes_of, correlate
from opsflow.analysis.collect import Collected, collect
from opsflow.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from opsflow.analysis.impact import traffic_of
from opsflow.analysis.metrics import HEALTH_FAMILIES
from opsflow.analysis.paths import DependencyGraph
from opsflow.analysis.ranking import rank, to_root_cause
from opsflow.analysis.robust import pinned
from opsflow.models.findings import AnalysisInput, Findings
from opsflow.utc import epoch

# Intents that ask "what is wrong and why": only these get ranked root causes.
# "dependencies" and "top_n" are inventory questions; anomalies still annotate them.
RANKED_INTENTS = frozenset(
    {"why_slow", "why_failing", "what_changed", "alerts", "health", "investigate"}
)
_ALERT_KINDS = frozenset({"alert", "incident"})
# A focus anomaly in one of these is a symptom worth explaining; a traffic change is not.
# "Why slow" is answered for a slow focus, "why failing" for a failing one: an availability
# blip does not make a "slow" question's premise true.
_SYMPTOM_FAMILIES: dict[str, frozenset[str]] = {
    "why_slow": frozenset({"latency", "unknown"}),
    "why_failing": frozenset({"availability", "errors", "unknown"}),
}
_ANY_SYMPTOM = HEALTH_FAMILIES | {"unknown"}


def analyze(inp: AnalysisInput, config: AnalysisConfig = DEFAULT_CONFIG) -> Findings:
    data = collect(inp.outputs)
    ref_ts = epoch(inp.reference_time)
    focus = _resolve_focus(inp.focus_ci, data)
    graph = DependencyGraph(data.edges)
    notes: list[str] = []

    detections: list[Detection] = []
    skipped = 0
    for series in data.series:
        window = split_window(series, ref_ts, config)
        if window is None:
            skipped += 1
            continue
        found = detect(series, ref_ts, config, window)
        if found is not None:
            detections.append(found)
    detections.sort(key=lambda d: (d.onset_ts, d.anomaly.ci, d.anomaly.metric))
    judged = len(data.series) - skipped
    if skipped:
        notes.append(
            f"{skipped} series had too little history to judge "
            f"(fewer than {config.min_history_points} baseline points)"
        )
    seasonal = sum(1 for d in detections if d.seasonal)
    if seasonal:
        notes.append(f"{seasonal} anomalies judged against a daily seasonal baseline")

    by_ci: dict[str, list[Detection]] = defaultdict(list)
    for det in detections:
        by_ci[det.anomaly.ci].append(det)
    onsets = {ci: min(d.onset_ts for d in dets) for ci, dets in by_ci.items()}
    slack_s = _sampling_interval(data)

    changes = changes_of(data.events)
    correlations = correlate(changes, onsets, graph, config, slack_s)
    for corr in correlations:
        notes.append(
            f"{corr.change.kind} on {corr.change.ci} preceded the anomaly on "
            f"{corr.anomalous_ci} by {corr.lead_s / 60.0:.0f} min"
        )

    findings = Findings(
        focus_ci=focus,
        anomalies=[d.anomaly for d in detections],
        changes=changes,
    )
    # Pydantic copies lists on validation: keep appending to the model's own list.
    findings.notes.extend(notes)
    notes = findings.notes
    symptoms = _SYMPTOM_FAMILIES.get(inp.intent, _ANY_SYMPTOM)
    if inp.intent not in RANKED_INTENTS:
        notes.append(f"intent {inp.intent!r}: root causes not ranked")
        return findings
    if focus is not None and not graph.empty and focus not in graph:
        notes.append(f"focus {focus} is not in the known topology; ranking without paths")
    if (
        config.require_focus_symptom
        and focus is not None
        and _judged_but_healthy(
            focus, data, by_ci, ref_ts, config, symptoms, graph.dependencies(focus), slack_s
        )
    ):
        notes.append(
            f"no cause found: {focus} shows no anomaly against its baseline "
            f"({'/'.join(sorted(symptoms))}), so there is no symptom to explain "
            f"({len(detections)} anomalies elsewhere are listed)"
        )
        return findings
    alerted = _alerts(data, ref_ts, config)
    traffic = traffic_of(data.series, ref_ts - config.recent_s)
    cands = rank(by_ci, graph, focus, inp.intent, correlations, alerted, config, slack_s, traffic)
    findings.root_causes = [to_root_cause(c) for c in cands]
    if cands:
        findings.path = cands[0].path
    else:
        notes.append(f"no cause found: no anomaly against baseline in {judged} judged series")
    return findings


def _judged_but_healthy(
    focus: str,
    data: Collected,
    by_ci: dict[str, list[Detection]],
    ref_ts: float,
    cfg: AnalysisConfig,
    symptoms: frozenset[str],
    deps: frozenset[str],
    slack_s: float,
) -> bool:
    """The focus was judged and shows none of the question's symptoms.

    The question itself says the focus is in trouble, so its symptom is confirmed on less
    than an anomaly elsewhere needs: a sustained excursion at ``focus_z_threshold``, or a
    lone point at twice that (a fault often fills one 5-minute row; a lone last point at
    twice the threshold already counts anywhere). On a pinned series one failed request
    among hundreds is already "z 10" and happens on healthy days, so there the lone point
    counts only if a dependency's own anomaly of the same family began at the same sample
    (``slack_s``): that is a dependency's failure reaching the focus, not routine noise.
    """
    if any(d.family in symptoms for d in by_ci.get(focus, [])):
        return False
    relaxed = replace(cfg, z_threshold=cfg.focus_z_threshold)
    lone = replace(cfg, z_threshold=2.0 * cfg.focus_z_threshold, max_run_points=1)
    judged = False
    for s in data.series:
        if s.ci != focus:
            continue
        window = split_window(s, ref_ts, cfg)
        if window is None:
            continue
        judged = True
        is_pinned = pinned([s.values[i] for i in window.history])
        for rule in (relaxed, lone):
            weak = detect(s, ref_ts, rule, window)
            if weak is None or weak.family not in symptoms:
                continue
            if rule is lone and is_pinned and not _corroborated(weak, deps, by_ci, slack_s):
                continue
            return False
    return judged


def _corroborated(
    weak: Detection, deps: frozenset[str], by_ci: dict[str, list[Detection]], slack_s: float
) -> bool:
    return any(
        d.family == weak.family and abs(d.onset_ts - weak.onset_ts) <= slack_s
        for dep in sorted(deps)
        for d in by_ci.get(dep, [])
    )


def _resolve_focus(focus: str | None, data: Collected) -> str | None:
    # The planner may hand over an id; every other key here is a name.
    if focus is None or focus in data.cis:
        return focus
    for name, ci in data.cis.items():
        if ci.id == focus:
            return name
    return focus


def _sampling_interval(data: Collected) -> float:
    steps = [s.step_s for s in data.series]
    return median(steps) if steps else 60.0


def _alerts(data: Collected, ref_ts: float, cfg: AnalysisConfig) -> dict[str, datetime]:
    lo, hi = ref_ts - cfg.recent_s, ref_ts + cfg.recent_after_s
    out: dict[str, datetime] = {}
    for ev, _step in data.events:
        if ev.kind in _ALERT_KINDS and ev.ci is not None and lo <= epoch(ev.ts) <= hi:
            out.setdefault(ev.ci, ev.ts)
    return out
