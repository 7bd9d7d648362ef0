"""Each answer block type as HTML (the dispatch is on the block's ``kind``)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from opsflow.models import (
    Block,
    GraphBlock,
    MarkdownBlock,
    ReferencesBlock,
    TableBlock,
    TimeseriesBlock,
)
from opsflow_app.api.render.chart import render_timeseries
from opsflow_app.api.render.graph import render_graph

# Raw HTML in markdown is off: summaries may quote LLM output and tool data.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str) -> str:
    return str(_MARKDOWN.render(text))


def cell(value: Any) -> str:
    if isinstance(value, float):
        return escape(f"{value:.4g}")
    return escape("" if value is None else str(value))


def table(columns: list[str], rows: list[list[Any]], css: str = "") -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _provenance(block: Block) -> str:
    if not block.source_steps:
        return ""
    steps = ", ".join(escape(s) for s in block.source_steps)
    return f'<p class="provenance">from steps: {steps}</p>'


def _body(block: Block, reference_time: datetime | None) -> str:
    if isinstance(block, MarkdownBlock):
        return markdown(block.text)
    if isinstance(block, TableBlock):
        shown = len(block.rows)
        note = (
            f'<p class="note">{shown} of {block.total_rows} rows</p>'
            if block.total_rows > shown
            else ""
        )
        return table(block.columns, block.rows) + note
    if isinstance(block, TimeseriesBlock):
        return f'<div class="charts">{render_timeseries(block, reference_time)}</div>'
    if isinstance(block, GraphBlock):
        return f'<div class="graph-wrap">{render_graph(block)}</div>'
    if isinstance(block, ReferencesBlock):
        items = "".join(
            f"<li>{escape(r.label)}"
            + (f' <span class="claim">claim {escape(r.claim_id)}</span>' if r.claim_id else "")
            + "</li>"
            for r in block.items
        )
        return f"<ul>{items}</ul>"
    raise TypeError(f"no renderer for block kind {block.kind}")  # a new kind must get one


def render_block(block: Block, reference_time: datetime | None) -> str:
    title = f"<h2>{escape(block.title)}</h2>" if block.title else ""
    return (
        f'<section class="block block-{block.kind}" data-kind="{block.kind}">'
        f"{title}{_body(block, reference_time)}{_provenance(block)}</section>"
    )
