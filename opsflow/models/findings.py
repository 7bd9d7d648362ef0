"""Deterministic findings of the aggregation phase (computed in the ``analyze`` activity)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from opsflow.models.tool_io import ToolOutput


class Evidence(BaseModel):
    kind: str  # anomaly | change | path | alert | topology | traffic
    description: str
    ci: str | None = None
    metric: str | None = None
    ts: datetime | None = None
    value: float | None = None
    baseline: float | None = None
    deviation: float | None = None
    step_id: str | None = None


class Anomaly(BaseModel):
    ci: str
    metric: str
    onset: datetime
    peak: float
    baseline: float
    deviation: float  # robust z-score (median/MAD), signed in the bad direction
    direction: str  # up | down
    step_id: str | None = None


class Change(BaseModel):
    ci: str
    ts: datetime
    kind: str
    message: str
    step_id: str | None = None


class RootCause(BaseModel):
    ci: str
    score: float
    evidence: list[Evidence] = Field(default_factory=list)


class RcaOutcome(StrEnum):
    """What a root-cause analysis came to, for machines as well as people."""

    RANKED = "ranked"  # candidates were ranked
    NOTHING_ANOMALOUS = "nothing_anomalous"  # series were judged: no excursion, no change
    NOTHING_JUDGED = "nothing_judged"  # no series had enough points to be judged
    NOT_RANKED = "not_ranked"  # an inventory question: causes are not ranked


class Diagnosis(BaseModel):
    outcome: RcaOutcome | None = None
    series_judged: int = 0
    series_short: int = 0  # judged on a baseline shorter than a full one (lower confidence)
    series_skipped: int = 0  # too few points to judge at all
    # Whether the asked CI shows the asked symptom (None: no focus or nothing judged on it).
    symptom_seen: bool | None = None


class Findings(BaseModel):
    focus_ci: str | None = None
    diagnosis: Diagnosis = Field(default_factory=Diagnosis)
    anomalies: list[Anomaly] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)
    root_causes: list[RootCause] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class AnalysisInput(BaseModel):
    tenant_id: str
    question: str
    focus_ci: str | None
    intent: str
    reference_time: datetime
    outputs: dict[str, ToolOutput] = Field(default_factory=dict)
