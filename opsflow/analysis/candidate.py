"""What the ranking rules share: a candidate, the ranking's input, and the timing terms.

A candidate is any CI the investigation read with an excursion (the asked CI itself
included) or a recent change; the rules in ``propagation``, ``waiting`` and ``ranking``
each adjust it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.changes import Correlation
from opsflow.analysis.impact import Traffic
from opsflow.analysis.paths import DependencyGraph
from opsflow.models.findings import Change, Evidence

# A cause may lead its symptom by this many sampling intervals (at least MIN_LEAD_S): the
# same lag of one to three rows the metric tool reads past a past reference time.
LEAD_STEPS = 3.0
MIN_LEAD_S = 300.0
FAILING = frozenset({"errors", "availability"})
# What a service runs on is not called: nothing waits on calls into a host.
NOT_CALLED = frozenset({"host", "node", "vm"})


def lead_seconds(slack_s: float) -> float:
    return max(LEAD_STEPS * slack_s, MIN_LEAD_S)


@dataclass
class Candidate:
    ci: str
    detections: list[Detection]  # best first
    changes: list[Correlation | Change] = field(default_factory=list)
    strength: float = 0.0
    change_score: float = 0.0
    inherited: float = 0.0  # from a caller waiting on it (``waiting.inherit_waiting``)
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
