"""The answer page as an operator sees it: headless Chromium opens the key link of a
finished question (cookie, redirect), and the rendered page has a drawn chart for every
timeseries block and the dependency graph. The screenshot is kept in test-artifacts/."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest
from temporalio.client import Client

from opsflow.models import GraphBlock, OrchestrationResult, Status, TimeseriesBlock
from opsflow.settings import Settings
from opsflow_app.seed import read_incidents
from tests.integration.api.conftest import ACME_KEY, ApiServer, serve_api
from tests.integration.api.test_api import _answer, _ask
from tests.integration.ops.support import ARTIFACTS
from tests.support import chromium
from tests.support.harness import running_worker

pytestmark = pytest.mark.integration

SCREENSHOT = ARTIFACTS / "answer-page.png"
# A finished answer is server-rendered SVG: no script has to run, a short budget suffices.
BUDGET_MS = 3_000
CHART = re.compile(r'<svg[^>]*class="chart".*?</svg>', re.S)
GRAPH = re.compile(r'<svg[^>]*class="graph".*?</svg>', re.S)
POLYLINE = re.compile(r'<polyline[^>]*points="([^"]+)"')


needs_chromium = pytest.mark.skipif(
    not chromium.CHROMIUM.exists(),
    reason=f"{chromium.CHROMIUM} is absent (Debian package `chromium`; .ci/run installs it)",
)
# Slow tools keep a question running long enough to open its page before the answer.
SLOW_TOOL_MS = 1500
LIVE_BUDGET_MS = 30_000


@needs_chromium
async def _bad_deploy_question(dsn: str) -> str:
    """The seeded bad-deploy incident's question: its answer has a deploy to mark."""
    conn = await asyncpg.connect(dsn)
    try:
        incidents = await read_incidents(conn, "t_acme")
    finally:
        await conn.close()
    return next(i.question for i in incidents if i.kind == "bad_deploy")


async def test_answer_page_draws_charts_and_the_graph(
    api_server: ApiServer, settings: Settings, seeded: datetime, tmp_path: Path
) -> None:
    question = await _bad_deploy_question(settings.db_dsn or "")
    accepted = await _ask(api_server, seeded, question=question)
    result: OrchestrationResult = await _answer(api_server, accepted["workflow_id"])
    assert result.status is Status.SUCCESS, result.missing
    series_blocks = [b for b in result.blocks if isinstance(b, TimeseriesBlock)]
    graphs = [b for b in result.blocks if isinstance(b, GraphBlock)]
    assert series_blocks and graphs, [b.kind for b in result.blocks]

    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    url = f"{api_server.url}/q/{result.workflow_id}?key={quote(ACME_KEY)}"
    dom = await chromium.render(
        url,
        profile=tmp_path / "profile",
        screenshot=SCREENSHOT,
        budget_ms=BUDGET_MS,
        size="1400,3400",
    )
    (ARTIFACTS / "answer-page.html").write_text(dom, encoding="utf-8")
    assert result.question in dom, "the redirect did not land on the answer page"
    assert f"status-{result.status.value}" in dom

    charts = CHART.findall(dom)
    plotted = {m for chart in charts for m in re.findall(r'class="legend">([^<]+)<', chart)}
    for block in series_blocks:
        for line in block.series:
            assert line.name in plotted, f"series {line.name} not drawn"
    for chart in charts:
        lines = POLYLINE.findall(chart)
        assert lines and all(len(points.split()) >= 2 for points in lines), "empty chart"
        assert 'class="reference-time"' in chart and "time (UTC)" in chart
    markers = [m.label for b in series_blocks for m in b.markers]
    assert any(label.startswith("deploy") for label in markers), markers
    for chart in charts:  # every chart of a block carries all of its markers
        assert chart.count('class="change-marker"') >= 1

    [graph] = GRAPH.findall(dom)
    drawn_nodes = re.findall(r'<g class="node[^"]*"><rect[^>]*></rect><text[^>]*>([^<]+)<', graph)
    assert set(drawn_nodes) == set(graphs[0].nodes) | set(graphs[0].highlight)
    assert graph.count('class="edge') == len(graphs[0].edges)
    assert "Temporal UI" in dom and result.ui_url and result.ui_url in dom

    image = SCREENSHOT.read_bytes()
    assert image.startswith(chromium.PNG_SIGNATURE) and len(image) > 20_000, "blank screenshot"


@needs_chromium
async def test_a_running_questions_page_follows_its_progress_to_the_answer(
    temporal_client: Client, settings: Settings, seeded: datetime, tmp_path: Path
) -> None:
    async with (
        running_worker(temporal_client, settings, tool_latency_ms=SLOW_TOOL_MS) as slow,
        serve_api(slow, tmp_path / "serve.log") as api,
    ):
        accepted = await _ask(api, seeded)
        page = f"/q/{accepted['workflow_id']}"
        async with api.client(None) as http:
            await http.get(page, params={"key": ACME_KEY})
            running = await http.get(page)
        assert running.status_code == 200
        assert 'id="progress"' in running.text and "/static/live.js" in running.text, (
            "the question finished before its page was opened"
        )
        # The browser gets the running page, follows the event stream and, at the result
        # event, reloads into the server-rendered answer: only live.js can get it there.
        dom = await chromium.render(
            f"{api.url}{page}?key={quote(ACME_KEY)}",
            profile=tmp_path / "profile",
            screenshot=tmp_path / "live.png",
            budget_ms=LIVE_BUDGET_MS,
        )
    assert 'id="progress"' not in dom, "the page never left the progress view"
    assert 'class="status status-success"' in dom and 'class="chart"' in dom
