"""What a tool activity receives and returns. Typed records, never strings to parse back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opsflow.models.plan import ParamValue
from opsflow.utc import epoch

# Points of a series that history or an answer block carries when the full series does not
# fit: a claim check's preview keeps the latest ones, the answer's chart a downsampled view.
PREVIEW_POINTS = 60


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


class MetricSeries(BaseModel):
    """One CI's metric as two parallel columns, ascending in time.

    Columns, not a list of point objects: a metric step carries thousands of samples
    through JSON, the claim store and the analysis, and a pydantic object plus two JSON
    keys per sample made it the worker's largest CPU cost (bench/README.md).
    """

    ci: str
    metric: str
    epoch_s: list[float] = Field(default_factory=list)  # bucket starts, seconds since epoch
    values: list[float] = Field(default_factory=list)
    # Resolution of the points; rollups are coarser than raw samples.
    bucket_s: int = 60
    source: str = "raw"

    @model_validator(mode="before")
    @classmethod
    def _from_point_list(cls, data: Any) -> Any:
        # Histories and claims written before the columnar form carry
        # ``points: [{"ts": ..., "value": ...}]``; they must keep replaying and loading.
        if isinstance(data, dict) and "points" in data:
            data = dict(data)
            points = data.pop("points") or []
            data["epoch_s"] = [_epoch(p["ts"]) for p in points]
            data["values"] = [p["value"] for p in points]
        return data

    @model_validator(mode="after")
    def _columns_align(self) -> MetricSeries:
        if len(self.epoch_s) != len(self.values):
            raise ValueError(
                f"epoch_s has {len(self.epoch_s)} entries but values has {len(self.values)}"
            )
        return self

    def points(self) -> list[tuple[datetime, float]]:
        """(UTC time, value) pairs, for rendering."""
        pairs = zip(self.epoch_s, self.values, strict=True)
        return [(datetime.fromtimestamp(t, UTC), v) for t, v in pairs]

    def sliced(self, part: slice) -> MetricSeries:
        """The same series restricted to ``part`` of its samples (a tail, every n-th)."""
        return self.model_copy(update={"epoch_s": self.epoch_s[part], "values": self.values[part]})


def _epoch(ts: datetime | str) -> float:
    return epoch(datetime.fromisoformat(ts) if isinstance(ts, str) else ts)


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
    # What a tool over a remote source sent (PromQL), shown with the step in the UI.
    queries: list[str] = Field(default_factory=list)
    attempt: int = 1
    duration_ms: float = 0.0


ToolCall.model_rebuild()
