"""The answer page's drawings: axes, units, the reference time and change markers in the
right places; graph layering that survives cycles; escaping of everything shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from opsflow.models import (
    Block,
    Evidence,
    FallbackDetails,
    GraphBlock,
    MarkdownBlock,
    Marker,
    MissingItem,
    OrchestrationResult,
    Reference,
    ReferencesBlock,
    RootCause,
    SeriesLine,
    Status,
    TableBlock,
    TimeseriesBlock,
)
from opsflow_app.api.render.blocks import render_block
from opsflow_app.api.render.chart import (
    LEFT,
    RIGHT,
    WIDTH,
    nice_ticks,
    render_timeseries,
    tick_label,
)
from opsflow_app.api.render.graph import layers, render_graph
from opsflow_app.api.render.page import answer_page
from opsflow_app.api.render.units import unit_for

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _line(name: str, minutes: int = 60, base: float = 100.0) -> SeriesLine:
    return SeriesLine(
        name=name, points=[(T0 + timedelta(minutes=i), base + i) for i in range(minutes + 1)]
    )


def _x_of(svg: str, css: str) -> float:
    match = re.search(rf'<line x1="([0-9.]+)"[^>]*class="{css}"', svg)
    assert match, css
    return float(match.group(1))


def test_tick_labels_keep_the_decimals_the_step_needs() -> None:
    ticks = nice_ticks(0, 0.07)
    assert [tick_label(t, ticks) for t in ticks] == ["0.00", "0.02", "0.04", "0.06", "0.08"]
    assert tick_label(200.0, nice_ticks(0, 400)) == "200"


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0, 97.3) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 0.042)[-1] >= 0.042
    assert nice_ticks(5, 5)[0] <= 5 <= nice_ticks(5, 5)[-1]


def test_chart_marks_reference_time_and_changes_where_they_happened() -> None:
    block = TimeseriesBlock(
        title="Key metric",
        series=[_line("payments-api.latency_p95")],
        markers=[Marker(ts=T0 + timedelta(minutes=15), label="deploy payments-api")],
    )
    svg = render_timeseries(block, T0 + timedelta(minutes=60))
    plot_w = WIDTH - LEFT - RIGHT
    assert _x_of(svg, "reference-time") == pytest.approx(LEFT + plot_w, abs=0.1)
    assert _x_of(svg, "change-marker") == pytest.approx(LEFT + plot_w / 4, abs=0.1)
    assert "deploy payments-api" in svg and "time (UTC)" in svg
    assert "<text" in svg and ">ms</text>" in svg  # the unit on the value axis
    assert ">08:15<" in svg or ">08:20<" in svg  # time ticks in UTC


def test_one_chart_per_unit() -> None:
    block = TimeseriesBlock(
        series=[_line("api.latency_p95"), _line("host-1.cpu", base=20), _line("b.latency_p95")]
    )
    svg = render_timeseries(block, None)
    assert svg.count('class="chart"') == 2
    assert unit_for("cpu") == "%" and unit_for("weird_metric") == "value"


def test_layers_put_dependencies_below_their_callers_even_with_a_cycle() -> None:
    edges = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("c", "a")]
    assert layers(["a", "b", "c", "d"], edges) == {"a": 0, "b": 1, "d": 1, "c": 2}


def test_graph_draws_every_node_and_edge_and_highlights_the_path() -> None:
    block = GraphBlock(
        nodes=["api", "db", "host"], edges=[("api", "db"), ("db", "host")], highlight=["api", "db"]
    )
    svg = render_graph(block)
    assert svg.count('<g class="node') == 3 and svg.count('class="edge') == 2
    assert svg.count('class="node on-path"') == 2 and 'class="edge on-path"' in svg


def test_everything_shown_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    markdown = render_block(MarkdownBlock(text=f"hi {evil}"), None)
    table = render_block(TableBlock(title=evil, columns=[evil], rows=[[evil]]), None)
    graph = render_graph(GraphBlock(nodes=[evil], edges=[]))
    for html in (markdown, table, graph):
        assert "<script>" not in html


def test_answer_page_renders_every_block_kind_and_what_is_missing() -> None:
    blocks: list[Block] = [
        MarkdownBlock(title="Answer", text="**db** is saturated"),
        TableBlock(title="Candidates", columns=["ci"], rows=[["db"]], total_rows=40),
        TimeseriesBlock(title="Key metric", series=[_line("db.cpu", base=20)]),
        GraphBlock(title="Dependency path", nodes=["api", "db"], edges=[("api", "db")]),
        ReferencesBlock(title="Sources", items=[Reference(label="m via metric_query")]),
    ]
    result = OrchestrationResult(
        workflow_id="opsflow-t_acme-1",
        tenant_id="t_acme",
        question="why is api slow?",
        status=Status.PARTIAL_SUCCESS,
        reference_time=T0 + timedelta(minutes=60),
        blocks=blocks,
        root_causes=[
            RootCause(ci="db", score=0.8, evidence=[Evidence(kind="anomaly", description="cpu up")])
        ],
        missing=[MissingItem(step_id="events", reason="deadline_exceeded", detail="slow")],
        fallbacks=[
            FallbackDetails(
                reason="primary_timeout", tool_attempted="metric_query", tool_used_fallback=None
            )
        ],
        ui_url="http://ui/namespaces/default/workflows/opsflow-t_acme-1",
    )
    html = answer_page("t_acme", result)
    kinds = re.findall(r'data-kind="([a-z]+)"', html)
    assert kinds == ["markdown", "table", "timeseries", "graph", "references"]
    assert "<strong>db</strong>" in html and "1 of 40 rows" in html
    assert 'class="chart"' in html and 'class="graph"' in html
    assert "status-partial_success" in html and "deadline_exceeded" in html
    assert "metric_query → nothing: primary_timeout" in html
    assert "#1 db" in html and "cpu up" in html
    assert 'href="http://ui/namespaces/default/workflows/opsflow-t_acme-1"' in html
