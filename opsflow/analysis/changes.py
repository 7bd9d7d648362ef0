"""Deploys and config changes, and which anomaly onsets they line up with."""

from __future__ import annotations

from dataclasses import dataclass

from opsflow.analysis.config import AnalysisConfig
from opsflow.analysis.paths import DependencyGraph
from opsflow.models.findings import Change
from opsflow.models.tool_io import EventRecord
from opsflow.utc import epoch

CHANGE_KINDS = frozenset({"deploy", "config_change"})


@dataclass(frozen=True)
class Correlation:
    change: Change
    anomalous_ci: str  # where the anomaly that followed the change was seen
    lead_s: float  # onset - change time


def changes_of(events: list[tuple[EventRecord, str | None]]) -> list[Change]:
    return [
        Change(ci=ev.ci or "", ts=ev.ts, kind=ev.kind, message=ev.message, step_id=step)
        for ev, step in events
        if ev.kind in CHANGE_KINDS
    ]


def correlate(
    changes: list[Change],
    onsets: dict[str, float],
    graph: DependencyGraph,
    cfg: AnalysisConfig,
    slack_s: float,
) -> list[Correlation]:
    """Changes on X followed by an anomaly onset on X or on a CI depending on X.

    ``slack_s`` (one sampling interval) tolerates an onset stamped at the start of the
    bucket the change landed in, which reads as "just before" the change.
    """
    found: list[Correlation] = []
    for ch in changes:
        if not ch.ci:
            continue  # a global change cannot be pinned on a CI
        t = epoch(ch.ts)
        affected = [ch.ci, *sorted(graph.dependents(ch.ci))]
        for ci in affected:
            onset = onsets.get(ci)
            if onset is None:
                continue
            lead = onset - t
            if -slack_s <= lead <= cfg.change_window_s + slack_s:
                found.append(Correlation(ch, ci, lead))
    return found
