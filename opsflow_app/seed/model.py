"""The seed generator's data: sizes, rows and the ground truth of injected incidents.

Samples are kept as one compact ``array('d')`` per (CI, metric) series over a shared
timestamp axis: the large preset holds millions of values per tenant, and tuples per
sample would cost ~10x the memory. ``iter_samples()`` yields COPY-ready rows lazily.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

TENANTS: dict[str, str] = {
    "t_acme": "Acme Corp",
    "t_globex": "Globex Corporation",
    "t_initech": "Initech",
}

METRICS: tuple[str, ...] = ("latency_p95", "error_rate", "cpu", "memory", "rps")
# Hosts report resources only: request metrics belong to the workloads running on them.
HOST_METRICS: tuple[str, ...] = ("cpu", "memory")

ROLLUP_BUCKET = timedelta(minutes=5)


@dataclass(frozen=True)
class SeedSize:
    """How much data a tenant gets. ``extra_services``/``extra_hosts`` grow the core graph."""

    name: str
    history: timedelta
    step: timedelta
    extra_services: int
    extra_hosts: int

    @property
    def points(self) -> int:
        return int(self.history / self.step) + 1


SIZES: dict[str, SeedSize] = {
    # Demo and tests: 3 tenants load in about a second.
    "small": SeedSize("small", timedelta(hours=6), timedelta(minutes=2), 0, 0),
    "medium": SeedSize("medium", timedelta(hours=24), timedelta(minutes=1), 20, 10),
    # Bench: a few million samples per tenant.
    "large": SeedSize("large", timedelta(days=3), timedelta(minutes=1), 60, 40),
}


def resolve_size(size: str | SeedSize) -> SeedSize:
    if isinstance(size, SeedSize):
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown seed size {size!r}; expected one of {sorted(SIZES)}") from None


@dataclass(frozen=True)
class Ci:
    id: str
    name: str
    ci_type: str
    environment: str = "prod"
    status: str = "active"
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """``source`` depends on ``target`` (CI ids)."""

    source_id: str
    target_id: str
    relation: str = "depends_on"


@dataclass(frozen=True)
class Event:
    id: str
    ci_id: str | None
    ts: datetime
    kind: str
    severity: str
    message: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Incident:
    """Ground truth. ``question`` names a caller of the root cause, never the root itself:
    answering it takes a walk down the dependency graph."""

    id: str
    kind: str
    root_ci: str
    affected: tuple[str, ...]
    start: datetime
    end: datetime
    question: str


@dataclass(frozen=True)
class Decoy:
    """Something that looks suspicious but caused nothing (kept in memory, not in the DB)."""

    kind: str
    ci: str
    ts: datetime
    note: str


@dataclass
class Series:
    ci_id: str
    metric: str
    values: array[float]


@dataclass(frozen=True)
class Rollup:
    ci_id: str
    metric: str
    bucket: datetime
    avg: float
    min: float
    max: float
    count: int


@dataclass
class TenantDataset:
    tenant_id: str
    tenant_name: str
    seed: int
    size: SeedSize
    end: datetime
    cis: list[Ci]
    relations: list[Relation]
    timestamps: list[datetime]
    series: list[Series]
    rollups: list[Rollup]
    events: list[Event]
    incidents: list[Incident]
    decoys: list[Decoy]
    topology_edges: list[dict[str, str]]

    @property
    def start(self) -> datetime:
        return self.timestamps[0]

    @property
    def sample_count(self) -> int:
        return len(self.series) * len(self.timestamps)

    def iter_samples(self) -> Iterator[tuple[str, str, str, datetime, float]]:
        """Rows shaped like ``metric_sample(tenant_id, ci_id, metric, ts, value)``."""
        tenant, stamps = self.tenant_id, self.timestamps
        for s in self.series:
            for ts, value in zip(stamps, s.values, strict=True):
                yield (tenant, s.ci_id, s.metric, ts, value)

    def ci_by_name(self, name: str) -> Ci:
        for ci in self.cis:
            if ci.name == name:
                return ci
        raise KeyError(name)

    def series_for(self, ci_name: str, metric: str) -> array[float]:
        ci_id = self.ci_by_name(ci_name).id
        for s in self.series:
            if s.ci_id == ci_id and s.metric == metric:
                return s.values
        raise KeyError((ci_name, metric))
