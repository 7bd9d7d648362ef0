"""Propagation: whether a candidate's trouble is a dependency's doing.

A CI whose main excursion a dependency's excursion (or a dependency's change) can cause,
and which began no later while the dependency was bad, is likely a symptom; a host's
saturation is the sum of its workloads' use of the same resource.
"""

from __future__ import annotations

from collections.abc import Mapping

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.candidate import FAILING, NOT_CALLED, Candidate, RankInput
from opsflow.analysis.changes import Correlation
from opsflow.analysis.config import AnalysisConfig
from opsflow.analysis.metrics import HEALTH_FAMILIES, explains, resource_of, same_resource
from opsflow.analysis.paths import DependencyGraph
from opsflow.utc import epoch

# A cause shows at least about as clearly as the symptom it explains.
_EXPLAIN_SEVERITY = 0.75
EXPLAIN_SEVERITY_ACROSS = 0.5
# A dependency explains a caller's latency only if it added a comparable amount of it.
_LATENCY_SHARE = 0.3


def explaining_dependency(
    cand: Candidate,
    by_name: Mapping[str, Candidate],
    changed: Mapping[str, Candidate],
    graph: DependencyGraph,
    lead_s: float,
    slack_s: float,
    cfg: AnalysisConfig,
    ci_types: Mapping[str, str],
) -> str | None:
    """The dependency that best explains ``cand``'s main anomaly, if any: an anomalous one
    whose excursion can cause it and began no later, or one changed shortly before it."""
    if not cand.detections:
        return None
    main = cand.detections[0]
    own_latency = next((d for d in cand.detections if d.family == "latency"), None)
    began = _episode_onset(cand.detections, lead_s)
    # Its own consumed resource (CPU, memory, disk) is its own: calls and releases of what
    # it calls do not consume it; only the host it runs on, saturating the same resource,
    # can be behind it.
    consumed = resource_of(main.anomaly.metric) if main.family == "saturation" else None
    best: tuple[float, str] | None = None
    for dep in sorted(graph.dependencies(cand.ci)):
        other = by_name.get(dep)
        if consumed is not None and ci_types.get(dep) not in NOT_CALLED:
            continue
        for det in other.detections if other is not None else []:
            if consumed is not None and not same_resource(det.anomaly.metric, main.anomaly.metric):
                continue
            # Only an explanation of the trouble it is ranked for counts: a dependency that
            # explains a side blip of a candidate leaves its main excursion unexplained.
            parent = main
            if det.onset_ts > began + slack_s:
                continue  # the candidate was in trouble before the dependency was
            if det.family == "latency" and parent.family in FAILING:
                # A slow dependency fails its callers through timeouts, which make the
                # caller slow too: judge it against the caller's own extra time.
                if own_latency is None:
                    continue
                parent = own_latency
            if not explains_detection(det, parent, lead_s, slack_s):
                continue
            if best is None or det.severity > best[0]:
                best = (det.severity, dep)
        change = changed.get(dep)
        if (
            change is not None
            and consumed is None
            and change_precedes(change, main, cfg, slack_s)
            and (best is None or change.change_score > best[0])
        ):
            best = (change.change_score, dep)
    if best is not None and _self_explained(cand.detections, best[0], slack_s):
        return None
    if (
        best is not None
        and cand.changes
        and change_precedes(cand, main, cfg, slack_s)
        and cand.change_score >= best[0]
    ):
        return None  # its own release just before, at least as telling: the simpler cause
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


def aggregate_of(
    cand: Candidate, by_name: Mapping[str, Candidate], inp: RankInput, slack_s: float
) -> str | None:
    """A host's CPU or memory is the sum of what runs on it: when a workload on it
    saturates at the same time, by a larger relative change, the host's excursion is that
    workload's doing, not a cause of its own."""
    if not cand.detections or inp.ci_types.get(cand.ci) not in NOT_CALLED:
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


def change_precedes(changed: Candidate, det: Detection, cfg: AnalysisConfig, slack: float) -> bool:
    for item in changed.changes:
        ts = epoch(item.change.ts if isinstance(item, Correlation) else item.ts)
        if -slack <= det.onset_ts - ts <= cfg.change_window_s + slack:
            return True
    return False


def explains_detection(child: Detection, parent: Detection, lead_s: float, slack_s: float) -> bool:
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
    bar = _EXPLAIN_SEVERITY if child.family == parent.family else EXPLAIN_SEVERITY_ACROSS
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
