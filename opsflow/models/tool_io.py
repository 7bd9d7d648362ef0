"""What a tool activity receives and returns. Typed records, never strings to parse back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsflow.models.plan import ParamValue


class CiRecord(BaseModel):
    id: str
    name: str
    ci_type: str
    environment: str = "prod"
    status: str = "active"


class EdgeRecord(BaseModel):
    """``source`` depends on ``target`` (calls it, runs on it, reads from it)."""

    source: str
    target: str
    relation: str = "depends_on"
    depth: int = 1


class MetricPoint(BaseModel):
    ts: datetime
    value: float


class MetricSeries(BaseModel):
    ci: str
    metric: str
    points: list[MetricPoint] = Field(default_factory=list)
    # Resolution of the points; rollups are coarser than raw samples.
    bucket_s: int = 60
    source: str = "raw"


class EventRecord(BaseModel):
    id: str
    ci: str | None
    ts: datetime
    kind: str
    severity: str
    message: str


class TableData(BaseModel):
    columns: list[str]
    rows: list[list[Any]]


class ToolCall(BaseModel):
    """The single input of every tool activity."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    step_id: str
    tool: str
    capability: str
    params: dict[str, ParamValue] = Field(default_factory=dict)
    reference_time: datetime
    # Outputs of the steps this one depends on, by step id.
    inputs: dict[str, ToolOutput] = Field(default_factory=dict)
    row_cap: int = 5000
    # Set when this call replaces a failed tool: why the primary did not answer.
    fallback_reason: str | None = None


class ToolOutput(BaseModel):
    tool: str
    step_id: str
    cis: list[CiRecord] = Field(default_factory=list)
    edges: list[EdgeRecord] = Field(default_factory=list)
    series: list[MetricSeries] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    table: TableData | None = None
    row_count: int = 0
    truncated: bool = False
    # Claim check: set when the full output lives in the ops database, not in history.
    claim_id: str | None = None
    note: str = ""
    attempt: int = 1
    duration_ms: float = 0.0


ToolCall.model_rebuild()
