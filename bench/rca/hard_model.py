"""The contract of the hard generator: fault kinds and one generated case.

A ``HardCase`` is everything a user would import (CIs, dependency edges, metric samples,
events) plus its ground truth. It knows nothing of the database or of the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FaultKind(StrEnum):
    """What a case tests; the figures are reported per kind.

    The first group are fault mechanisms; the second are difficulties laid over one of the
    classic mechanisms (``HardCase.fault`` says which).
    """

    # classic mechanisms
    DEPENDENCY_CPU = "dependency_cpu"  # a service the asked CI calls saturates its CPU
    BAD_DEPLOY = "bad_deploy"  # one deploy among several breaks its service
    DB_SATURATION = "db_saturation"  # a database slows down under contention
    HOST_CPU = "host_cpu"  # a host saturates: every service on it slows down
    # mechanisms the issue names as failure modes
    SELF_CPU = "self_cpu"  # the asked CI itself saturates its CPU
    ERROR_ONLY = "error_only"  # exceptions in a dependency, latency unchanged
    NETWORK_DELAY = "network_delay"  # delay on calls into a service: its callers slow down
    WEAK_SYMPTOM = "weak_symptom"  # the root is rarely on the asked path: faint symptom
    # difficulties over a classic mechanism
    SHORT_HISTORY = "short_history"  # 5-10 points before the onset
    OLD_LEVEL_SHIFT = "old_level_shift"  # an unrelated shift hours earlier, never recovered
    FINE_STEP = "fine_step"  # 5-second step, a short recording
    NOISY_SERVICES = "noisy_services"  # several noisy services in the closure at once
    MISSING_SERIES = "missing_series"  # whole series absent and gaps in others


CLASSIC: tuple[FaultKind, ...] = (
    FaultKind.DEPENDENCY_CPU,
    FaultKind.BAD_DEPLOY,
    FaultKind.DB_SATURATION,
)
DIFFICULTIES: frozenset[FaultKind] = frozenset(
    {
        FaultKind.SHORT_HISTORY,
        FaultKind.OLD_LEVEL_SHIFT,
        FaultKind.FINE_STEP,
        FaultKind.NOISY_SERVICES,
        FaultKind.MISSING_SERIES,
    }
)


class CiType(StrEnum):
    SERVICE = "service"
    DATABASE = "database"
    HOST = "host"


class Metric(StrEnum):
    """Names as the product's metric families read them (``opsflow.analysis.metrics``)."""

    LATENCY = "latency_p95"  # ms
    ERRORS = "error_rate"  # fraction of requests
    CPU = "cpu"  # percent
    MEMORY = "memory"  # percent
    RPS = "rps"  # requests per second
    AVAILABILITY = "availability"  # percent, the entry's synthetic probe
    CONNECTIONS = "connections"  # open connections of a database (Little's law)


class Symptom(StrEnum):
    SLOW = "slow"
    FAILING = "failing"


# (ts, ci, metric, value)
Sample = tuple[datetime, str, str, float]
# (ts, ci, kind, severity, message): the importer's events.csv columns
EventRow = tuple[datetime, str, str, str, str]


@dataclass(frozen=True)
class HardCase:
    key: str
    kind: FaultKind
    fault: FaultKind  # the mechanism (== kind unless kind is a difficulty)
    entry: str  # the asked CI
    symptom: Symptom
    question: str
    onset: datetime
    at: datetime  # reference time: a few minutes after the onset
    truth: str  # the root-cause CI
    step_s: int
    cis: list[tuple[str, CiType]]
    edges: list[tuple[str, str]]  # (source, target): source depends on target
    samples: list[Sample]
    events: list[EventRow] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (ci, metric) never written
    decoys: list[str] = field(default_factory=list)  # "what:ci", for the report

    def ci_type(self, name: str) -> CiType:
        return dict(self.cis)[name]

    def series(self, ci: str, metric: str) -> list[tuple[datetime, float]]:
        return sorted((ts, v) for ts, c, m, v in self.samples if c == ci and m == metric)
