"""Metrics served live by a real Prometheus: same answers as PostgreSQL, every metric step
on ``prometheus_query``, an outage degraded honestly, and ``sources set`` refusing bad
files with one line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from temporalio.client import Client

from opsflow.db.pool import create_pool
from opsflow.models import OrchestrationResult, Status, StepStatus
from opsflow.settings import Settings
from opsflow.sources.store import save_sources
from opsflow_app.seed.model import METRICS
from opsflow_app.seed.openmetrics import seed_sources
from opsflow_app.stack._procs import free_port
from tests.integration.prometheus.conftest import DOWN, FLAKY, LIVE, TWIN_PG, TWIN_PROM, Live
from tests.integration.test_import_and_past import AT, _cli
from tests.support.harness import ask

pytestmark = pytest.mark.integration
METRIC_TOOLS = {"prometheus_query", "prometheus_coarse_fallback", "metric_query"}


def _metric_steps(result: OrchestrationResult) -> list[Any]:
    return [s for s in result.steps if s.capability == "metric_timeseries"]


def _ranking(result: OrchestrationResult) -> list[tuple[str, float]]:
    return [(c.ci, round(c.score, 6)) for c in result.root_causes]


def _sources_file(
    folder: Path,
    tenant: str,
    url: str,
    metrics: tuple[str, ...] = METRICS,
    override: dict[str, str] | None = None,
) -> Path:
    source = seed_sources(url, tenant, metrics).model_dump(mode="json")
    source["prometheus"]["metrics"].update(override or {})
    path = folder / f"{tenant}-sources.json"
    # JSON is YAML: the file the operator would write, with the templates as given.
    path.write_text(json.dumps(source))
    return path


async def _incident_questions(settings: Settings) -> list[str]:
    from opsflow_app.seed import read_incidents

    assert settings.db_dsn is not None
    conn = await asyncpg.connect(settings.db_dsn)
    try:
        return [i.question for i in await read_incidents(conn, "t_acme")]
    finally:
        await conn.close()


async def test_seeded_incidents_rank_the_same_from_prometheus(
    temporal_client: Client, worker_settings: Settings, live: Live
) -> None:
    for question in await _incident_questions(worker_settings):
        from_pg = await ask(temporal_client, worker_settings, question, "t_acme", at=live.seed_end)
        from_prom = await ask(temporal_client, worker_settings, question, LIVE, at=live.seed_end)
        steps = _metric_steps(from_prom)
        assert steps, question
        for step in steps:
            assert (step.tool, step.status) == ("prometheus_query", StepStatus.SUCCEEDED)
            assert step.queries and all(f'tenant="{LIVE}"' in q for q in step.queries)
        assert all(s.tool == "metric_query" for s in _metric_steps(from_pg))
        assert from_prom.status is Status.SUCCESS, from_prom.missing
        assert _ranking(from_prom) == _ranking(from_pg), question
        assert from_prom.root_causes, question


async def test_csv_telemetry_imported_into_either_store_ranks_alike(
    worker_settings: Settings, live: Live
) -> None:
    folder = live.files / "csv"
    files = [f"--{n}={folder / (n + '.csv')}" for n in ("graph", "events", "cis")]
    into_pg = ["import", "--tenant", TWIN_PG, f"--metrics={folder / 'metrics.csv'}", *files]
    into_prom = ["import", "--tenant", TWIN_PROM, "--json", *files]  # no --metrics
    for args in (into_pg, into_prom):
        done = await asyncio.to_thread(_cli, args, worker_settings)
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["samples_written"] == 0
    # Every metric the CSV has gets its template (an unmapped one would not be read).
    mapped = ("latency_p95", "queue_depth_custom")
    sources = _sources_file(live.files, TWIN_PROM, live.server.url, mapped)
    done = await asyncio.to_thread(
        _cli, ["sources", "set", "--tenant", TWIN_PROM, "--file", str(sources)], worker_settings
    )
    assert done.returncode == 0, done.stderr
    assert live.server.url in done.stdout

    at = AT.isoformat().replace("+00:00", "Z")
    answers = {}
    for tenant in (TWIN_PG, TWIN_PROM):
        args = ["ask", "why is shop-web slow?", "--tenant", tenant, "--json", "--at", at]
        done = await asyncio.to_thread(_cli, args, worker_settings)
        assert done.returncode == 0, done.stderr
        answers[tenant] = OrchestrationResult.model_validate_json(done.stdout)
    prom = answers[TWIN_PROM]
    assert {s.tool for s in _metric_steps(prom)} == {"prometheus_query"}
    assert all(s.status is StepStatus.SUCCEEDED for s in _metric_steps(prom))
    assert prom.root_causes[0].ci == "shop-db"
    assert _ranking(prom) == _ranking(answers[TWIN_PG])

    show = ["sources", "show", "--tenant", TWIN_PROM, "--json"]
    shown = json.loads((await asyncio.to_thread(_cli, show, worker_settings)).stdout)
    assert shown["prometheus"]["url"] == live.server.url
    assert set(shown["prometheus"]["metrics"]) == set(mapped)


async def test_stack_prometheus_serves_a_tenant_from_its_own_database_rows(
    worker_settings: Settings, live: Live
) -> None:
    """What ``stack --prometheus`` does, for the CSV twin whose samples are in PostgreSQL:
    exported, backfilled, served, its source written; the answer is the same."""
    from opsflow_app.cli.prometheus_stack import start_live_metrics

    assert worker_settings.db_dsn is not None
    at = AT.isoformat().replace("+00:00", "Z")
    args = ["ask", "why is shop-web slow?", "--tenant", TWIN_PG, "--json", "--at", at]
    before = OrchestrationResult.model_validate_json(
        (await asyncio.to_thread(_cli, args, worker_settings)).stdout
    )
    server = await asyncio.to_thread(
        start_live_metrics, worker_settings.db_dsn, live.files / "stack", (TWIN_PG,)
    )
    try:
        done = await asyncio.to_thread(_cli, args, worker_settings)
    finally:
        await asyncio.to_thread(server.stop)
    after = OrchestrationResult.model_validate_json(done.stdout)
    assert {s.tool for s in _metric_steps(before)} == {"metric_query"}
    assert {s.tool for s in _metric_steps(after)} == {"prometheus_query"}
    assert after.status is Status.SUCCESS
    assert _ranking(after) == _ranking(before)


async def test_prometheus_down_falls_back_to_rollups_and_says_so(
    temporal_client: Client, worker_settings: Settings, live: Live
) -> None:
    question = (await _incident_questions(worker_settings))[0]
    result = await ask(temporal_client, worker_settings, question, DOWN, at=live.seed_end)
    steps = _metric_steps(result)
    assert steps
    for step in steps:
        assert step.status is StepStatus.FALLBACK
        assert step.tools_tried == [
            "prometheus_query",
            "prometheus_coarse_fallback",
            "metric_rollup_fallback",
        ]
        assert step.fallback is not None
        assert step.fallback.error_code == "PROMETHEUS_UNAVAILABLE"
        assert step.fallback.tool_used_fallback == "metric_rollup_fallback"
    assert result.status is Status.DEGRADED
    assert result.root_causes  # rollups still carry the incident


async def test_prometheus_dying_mid_question_leaves_a_partial_answer_with_reasons(
    temporal_client: Client, worker_settings: Settings, live: Live
) -> None:
    served = 0
    runner: web.AppRunner | None = None
    dying: list[asyncio.Future[None]] = []

    def die() -> None:
        assert runner is not None
        dying.append(asyncio.ensure_future(runner.cleanup()))

    async def proxy_then_die(request: web.Request) -> web.StreamResponse:
        # Forwards the first few queries to the real server, then goes away for good.
        nonlocal served
        served += 1
        if served == 4:
            asyncio.get_running_loop().call_later(0.05, die)
        async with aiohttp.ClientSession() as http:
            url = f"{live.server.url}{request.path_qs}"
            async with http.get(url) as upstream:
                return web.json_response(await upstream.json())

    app = web.Application()
    app.router.add_get("/api/v1/query_range", proxy_then_die)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    assert worker_settings.db_dsn is not None
    pool = await create_pool(worker_settings.db_dsn, min_size=1, max_size=1)
    try:
        await save_sources(pool, FLAKY, seed_sources(f"http://127.0.0.1:{port}", FLAKY))
    finally:
        await pool.close()
    try:
        question = (await _incident_questions(worker_settings))[0]
        result = await ask(temporal_client, worker_settings, question, FLAKY, at=live.seed_end)
    finally:
        await runner.cleanup()
    assert served >= 4  # the server was answering when the question began
    assert result.status is Status.PARTIAL_SUCCESS
    failed = [s for s in _metric_steps(result) if s.status is StepStatus.FAILED]
    assert failed
    missing = {m.step_id: m for m in result.missing}
    for step in failed:
        assert step.tools_tried == ["prometheus_query", "prometheus_coarse_fallback"]
        assert step.error_code == "PROMETHEUS_UNAVAILABLE"
        assert step.id in missing and missing[step.id].reason


def _set(args: list[str], settings: Settings) -> tuple[int, str]:
    done = _cli(["sources", "set", *args], settings)
    return done.returncode, done.stderr.strip()


async def test_sources_set_refuses_bad_files_in_one_line(
    worker_settings: Settings, live: Live
) -> None:
    folder, url = live.files, live.server.url
    cases = [
        ("PROMQL_TEMPLATE", "unclosed", {"cpu": 'rate(cpu{ci="{ci}"}[5m]'}, url),
        ("PROMQL_TEMPLATE", "no {ci}", {"cpu": 'cpu{service="web"}'}, url),
        ("SOURCE_UNREACHABLE", "127.0.0.1:9", {}, "http://127.0.0.1:9"),
        ("UNKNOWN_TENANT", "t_nobody", {}, url),
    ]
    for code, says, templates, where in cases:
        path = _sources_file(folder, "t_acme", where, override=templates)
        tenant = "t_nobody" if code == "UNKNOWN_TENANT" else "t_acme"
        status, stderr = await asyncio.to_thread(
            _set, ["--tenant", tenant, "--file", str(path)], worker_settings
        )
        assert status != 0, code
        assert len(stderr.splitlines()) == 1, stderr
        assert stderr.startswith(f"error: {code}: ") and says in stderr, stderr
    shown = await asyncio.to_thread(
        _cli, ["sources", "show", "--tenant", "t_acme", "--json"], worker_settings
    )
    assert json.loads(shown.stdout) == {}  # nothing was stored for the refused files
    unknown = ["sources", "show", "--tenant", "t_nobody"]
    assert "UNKNOWN_TENANT" in (await asyncio.to_thread(_cli, unknown, worker_settings)).stderr

    # set, show, remove on a tenant of this test's own (CIs only).
    tenant = "t_sources_cli"
    cis = ["import", "--tenant", tenant, f"--cis={folder / 'csv' / 'cis.csv'}"]
    assert (await asyncio.to_thread(_cli, cis, worker_settings)).returncode == 0
    path = _sources_file(folder, tenant, url)
    status, stderr = await asyncio.to_thread(
        _set, ["--tenant", tenant, "--file", str(path)], worker_settings
    )
    assert status == 0, stderr
    show = ["sources", "show", "--tenant", tenant, "--json"]
    shown = await asyncio.to_thread(_cli, show, worker_settings)
    assert json.loads(shown.stdout)["prometheus"]["url"] == url
    remove = ["sources", "remove", "--tenant", tenant, "--json"]
    removed = await asyncio.to_thread(_cli, remove, worker_settings)
    assert json.loads(removed.stdout) == {"removed": 1}
    shown = await asyncio.to_thread(_cli, show, worker_settings)
    assert json.loads(shown.stdout) == {}
