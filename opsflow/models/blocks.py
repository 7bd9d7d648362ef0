"""Typed answer blocks. Each names the steps that produced it (provenance)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class _Block(BaseModel):
    title: str = ""
    source_steps: list[str] = Field(default_factory=list)


class MarkdownBlock(_Block):
    kind: Literal["markdown"] = "markdown"
    text: str


class TableBlock(_Block):
    kind: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[Any]]
    total_rows: int = 0  # rows before the preview cut


class SeriesLine(BaseModel):
    name: str
    points: list[tuple[datetime, float]]


class Marker(BaseModel):
    ts: datetime
    label: str


class TimeseriesBlock(_Block):
    kind: Literal["timeseries"] = "timeseries"
    series: list[SeriesLine]
    markers: list[Marker] = Field(default_factory=list)


class GraphBlock(_Block):
    kind: Literal["graph"] = "graph"
    nodes: list[str]
    edges: list[tuple[str, str]]
    highlight: list[str] = Field(default_factory=list)


class Reference(BaseModel):
    label: str
    step_id: str | None = None
    claim_id: str | None = None


class ReferencesBlock(_Block):
    kind: Literal["references"] = "references"
    items: list[Reference]


Block = Annotated[
    MarkdownBlock | TableBlock | TimeseriesBlock | GraphBlock | ReferencesBlock,
    Field(discriminator="kind"),
]
