"""``analyze``: the deterministic findings of the aggregation phase, as a pipeline.

collect (merge tool outputs) -> detect (one detection per series, at its native step) ->
candidates and score (``ranking``) -> explain (evidence, notes, the diagnosis). Each stage
is a pure function; nothing is suppressed silently: what weighed a candidate down is in
its evidence, and what the analysis could not judge is in the notes and the diagnosis.

A pure function of its input (no I/O, no wall clock): the same ``AnalysisInput`` always
yields the same ``Findings``, so a retried ``analyze`` activity is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from opsflow.analysis.anchor import reanchor, symptom_onset
from opsflow.analysis.anomalies import Detection, detect, split_window
from opsflow.analysis.candidate import RankInput
from opsflow.analysis.changes import changes_of, correlate
from opsflow.analysis.collect import Collected, collect
from opsflow.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from opsflow.analysis.impact import traffic_of
from opsflow.analysis.metrics import HEALTH_FAMILIES, classify
from opsflow.analysis.paths import DependencyGraph
from opsflow.analysis.ranking import rank, to_root_cause
from opsflow.models.findings import AnalysisInput, Diagnosis, Findings, RcaOutcome
from opsflow.utc import epoch

# Intents that ask "what is wrong and why": only these get ranked root causes.
# "dependencies" and "top_n" are inventory questions; anomalies still annotate them.
RANKED_INTENTS = frozenset(
    {"why_slow", "why_failing", "what_changed", "alerts", "health", "investigate"}
)
_ALERT_KINDS = frozenset({"alert", "incident"})
# The symptom each "why" question asserts, to say whether the data shows it.
_SYMPTOM_FAMILIES: dict[str, frozenset[str]] = {
    "why_slow": frozenset({"latency", "unknown"}),
    "why_failing": frozenset({"availability", "errors", "unknown"}),
}


@dataclass(frozen=True)
class Detected:
    """Stage 2's output: one detection per anomalous series, and what was judged."""

    detections: list[Detection]
    judged: int
    short: int
    skipped: int
    judged_cis: frozenset[str]
    judged_families: dict[str, frozenset[str]]  # CI -> metric families judged on it


def analyze(inp: AnalysisInput, config: AnalysisConfig = DEFAULT_CONFIG) -> Findings:
    data = collect(inp.outputs)
    ref_ts = epoch(inp.reference_time)
    focus = _resolve_focus(inp.focus_ci, data)
    graph = DependencyGraph(data.edges)
    found = detect_all(data, ref_ts, config)
    slack_s = _sampling_interval(data)
    anchor = symptom_onset(
        [d for d in found.detections if d.anomaly.ci == focus],
        _SYMPTOM_FAMILIES.get(inp.intent, frozenset()),
        ref_ts,
        slack_s,
    )
    detections = found.detections
    if anchor is not None:
        detections = reanchor(detections, anchor, ref_ts, config)
    by_ci: dict[str, list[Detection]] = defaultdict(list)
    for det in detections:
        by_ci[det.anomaly.ci].append(det)
    changes = changes_of(data.events)
    onsets = {ci: min(d.onset_ts for d in dets) for ci, dets in by_ci.items()}
    correlations = correlate(changes, onsets, graph, config, slack_s)
    findings = Findings(
        focus_ci=focus,
        anomalies=[d.anomaly for d in found.detections],
        changes=changes,
        diagnosis=Diagnosis(
            series_judged=found.judged,
            series_short=found.short,
            series_skipped=found.skipped,
            symptom_seen=_symptom_seen(focus, inp.intent, by_ci, found),
        ),
    )
    findings.notes.extend(_notes(found, findings.diagnosis, focus, inp.intent, graph, config))
    if inp.intent not in RANKED_INTENTS:
        findings.diagnosis.outcome = RcaOutcome.NOT_RANKED
        findings.notes.append(f"intent {inp.intent!r}: root causes not ranked")
        return findings
    cands = rank(
        RankInput(
            by_ci=by_ci,
            graph=graph,
            focus=focus,
            intent=inp.intent,
            changes=changes,
            correlations=correlations,
            alerted=_alerts(data, ref_ts, config),
            traffic=traffic_of(data.series, ref_ts - config.recent_s),
            ref_ts=ref_ts,
            slack_s=slack_s,
            judged_families=found.judged_families,
            ci_types={name: ci.ci_type for name, ci in data.cis.items()},
        ),
        config,
    )
    findings.root_causes = [to_root_cause(c) for c in cands]
    if cands:
        findings.diagnosis.outcome = RcaOutcome.RANKED
        findings.path = cands[0].path
    elif found.judged:
        findings.diagnosis.outcome = RcaOutcome.NOTHING_ANOMALOUS
        findings.notes.append(
            f"no cause found: no anomaly against baseline and no change in {found.judged} "
            "judged series"
        )
    else:
        findings.diagnosis.outcome = RcaOutcome.NOTHING_JUDGED
        findings.notes.append("no cause found: no series had enough points to be judged")
    return findings


def detect_all(data: Collected, ref_ts: float, cfg: AnalysisConfig) -> Detected:
    """Stage 2: every series judged at its own step against its own baseline."""
    detections: list[Detection] = []
    judged = short = skipped = 0
    judged_cis: set[str] = set()
    families: dict[str, set[str]] = defaultdict(set)
    for series in data.series:
        window = split_window(series, ref_ts, cfg)
        if window is None:
            skipped += 1
            continue
        judged += 1
        short += window.short
        judged_cis.add(series.ci)
        families[series.ci].add(classify(series.metric))
        found = detect(series, ref_ts, cfg, window)
        if found is not None:
            detections.append(found)
    detections.sort(key=lambda d: (d.onset_ts, d.anomaly.ci, d.anomaly.metric))
    return Detected(
        detections,
        judged,
        short,
        skipped,
        frozenset(judged_cis),
        {ci: frozenset(f) for ci, f in families.items()},
    )


def _symptom_seen(
    focus: str | None, intent: str, by_ci: dict[str, list[Detection]], found: Detected
) -> bool | None:
    if focus is None or focus not in found.judged_cis:
        return None
    families = _SYMPTOM_FAMILIES.get(intent, HEALTH_FAMILIES | {"unknown"})
    return any(d.family in families for d in by_ci.get(focus, []))


def _notes(
    found: Detected,
    diagnosis: Diagnosis,
    focus: str | None,
    intent: str,
    graph: DependencyGraph,
    cfg: AnalysisConfig,
) -> list[str]:
    notes: list[str] = []
    if found.skipped:
        notes.append(
            f"{found.skipped} series had too few points to judge "
            f"(fewer than {cfg.min_short_history + 1})"
        )
    if found.short:
        notes.append(
            f"{found.short} series judged on a short baseline (fewer than "
            f"{cfg.min_history_points} points): lower confidence"
        )
    seasonal = sum(1 for d in found.detections if d.seasonal)
    if seasonal:
        notes.append(f"{seasonal} anomalies judged against a daily seasonal baseline")
    if diagnosis.symptom_seen is False:
        asked = "/".join(sorted(_SYMPTOM_FAMILIES.get(intent, HEALTH_FAMILIES)))
        notes.append(
            f"{focus} shows no {asked} anomaly against its baseline: the asked symptom is "
            "not visible in the data; candidates are ranked from the rest of its closure"
        )
    if focus is not None and not graph.empty and focus not in graph:
        notes.append(f"focus {focus} is not in the known topology; ranking without paths")
    return notes


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
