"""The ``prometheus_query`` activity itself: hostile CI names cannot change the PromQL it
sends, and a malformed, slow or cancelled answer ends it with the right failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from temporalio.testing import ActivityEnvironment

from activities.prometheus_tools import PrometheusTools
from activities.resources import WorkerResources
from opsflow.db.pool import create_pool
from opsflow.errors import AppError
from opsflow.models import ToolCall, ToolOutput
from opsflow.names import ErrorCode
from opsflow.policies import load_policies
from opsflow.settings import Settings
from opsflow.sources.model import PrometheusSource, TenantSources
from opsflow.sources.prometheus_api import query_range
from opsflow.sources.store import save_sources
from opsflow_app.importer import import_telemetry
from opsflow_app.seed.openmetrics import seed_sources
from opsflow_app.stack._procs import free_port
from tests.integration.prometheus.conftest import (
    HOSTILE,
    INJECT,
    LIVE,
    PLAIN,
    Live,
    _write_hostile_cis,
)
from tests.support.tools import run_tool

pytestmark = pytest.mark.integration
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture(scope="module")
async def tools(live: Live, settings: Settings) -> AsyncIterator[PrometheusTools]:
    assert settings.db_dsn is not None
    cis = live.files / "hostile_cis.csv"
    _write_hostile_cis(cis)
    conn = await asyncpg.connect(settings.db_dsn)
    try:
        await import_telemetry(conn, INJECT, cis=cis)
    finally:
        await conn.close()
    pool = await create_pool(settings.db_dsn, min_size=1, max_size=2)
    res = WorkerResources(pool=pool, settings=settings, policies=load_policies())
    try:
        yield PrometheusTools(res)
    finally:
        await res.aclose_http()
        await pool.close()


async def _use(tools: PrometheusTools, url: str, timeout_s: float = 10.0) -> PrometheusSource:
    source = seed_sources(url, INJECT, ["latency_p95"]).prometheus
    assert source is not None
    source = source.model_copy(update={"timeout_s": timeout_s})
    await save_sources(tools.res.pool, INJECT, TenantSources(prometheus=source))
    return source


def _call(at: datetime, cis: list[str]) -> ToolCall:
    return ToolCall(
        tenant_id=INJECT,
        step_id="m",
        tool="prometheus_query",
        capability="metric_timeseries",
        params={"cis": cis, "metrics": ["latency_p95"], "window_minutes": 60, "history_hours": 0},
        reference_time=at,
    )


async def test_hostile_ci_names_read_only_their_own_series(
    tools: PrometheusTools, live: Live
) -> None:
    source = await _use(tools, live.server.url)
    names = sorted(HOSTILE)
    out = await run_tool(tools.prometheus_query, _call(live.seed_end, names))
    assert sorted(s.ci for s in out.series) == names
    for series in out.series:
        assert len(series.values) >= 30
        assert set(series.values) == {HOSTILE[series.ci]}, series.ci
    evil = next(n for n in names if n.startswith("x"))
    assert any('x\\"} or opsflow_latency_p95' in q for q in out.queries)

    # The control: pasted in unescaped, the same name reads every CI of the tenant.
    naive = source.metrics["latency_p95"].replace("{ci}", evil)
    end = live.seed_end.timestamp()
    async with aiohttp.ClientSession() as http:
        got = await query_range(http, source, naive, start_s=end - 600, end_s=end, step_s=60)
    assert got.series == len(HOSTILE)


@pytest.fixture
async def fake_prometheus() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def serve(handler: Handler) -> str:
        app = web.Application()
        app.router.add_get("/api/v1/query_range", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return f"http://127.0.0.1:{port}"

    yield serve
    for runner in runners:
        await runner.cleanup()


async def test_a_malformed_answer_fails_without_retry(
    tools: PrometheusTools, live: Live, fake_prometheus: Callable[[Handler], Awaitable[str]]
) -> None:
    async def vector_instead_of_matrix(_: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "success", "data": {"resultType": "vector"}})

    await _use(tools, await fake_prometheus(vector_instead_of_matrix))
    # The worker's interceptor turns an AppError into an ApplicationError of the same code.
    with pytest.raises(AppError) as failure:
        await run_tool(tools.prometheus_query, _call(live.seed_end, ['q"uote']))
    assert failure.value.code == ErrorCode.PROMETHEUS_BAD_RESPONSE
    assert not failure.value.retryable
    assert 'ci="q\\"uote"' in failure.value.message  # the query is in the step's detail


async def test_a_slow_server_is_a_retryable_timeout(
    tools: PrometheusTools, live: Live, fake_prometheus: Callable[[Handler], Awaitable[str]]
) -> None:
    async def slow(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(1.5)  # five times the source's timeout
        return web.json_response({})

    await _use(tools, await fake_prometheus(slow), timeout_s=0.3)
    with pytest.raises(AppError) as failure:
        await run_tool(tools.prometheus_query, _call(live.seed_end, ['q"uote']))
    assert failure.value.code == ErrorCode.TIMEOUT
    assert failure.value.retryable


async def test_cancellation_stops_the_queries_in_flight(
    tools: PrometheusTools, live: Live, fake_prometheus: Callable[[Handler], Awaitable[str]]
) -> None:
    arrived, released = asyncio.Event(), asyncio.Event()

    async def hanging(_: web.Request) -> web.StreamResponse:
        arrived.set()
        await released.wait()  # until the test is over: the client must give up first
        return web.json_response({})

    await _use(tools, await fake_prometheus(hanging))
    env = ActivityEnvironment()
    running: asyncio.Future[ToolOutput] = asyncio.ensure_future(
        run_tool(tools.prometheus_query, _call(live.seed_end, sorted(HOSTILE)), env)
    )
    await asyncio.wait_for(arrived.wait(), 10)
    started = time.monotonic()
    env.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(running, 5)
        assert time.monotonic() - started < 2
    finally:
        released.set()


async def test_progress_is_reported_per_batch_of_cis(
    tools: PrometheusTools, live: Live, fake_prometheus: Callable[[Handler], Awaitable[str]]
) -> None:
    async def slow_empty(_: web.Request) -> web.StreamResponse:
        # Each batch outlasts a heartbeat interval (0.75 s): every batch's progress is sent.
        await asyncio.sleep(0.9)
        body = {"status": "success", "data": {"resultType": "matrix", "result": []}}
        return web.json_response(body)

    await _use(tools, await fake_prometheus(slow_empty))
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.extend(details)
    names = sorted([*HOSTILE, *PLAIN])
    out = await run_tool(tools.prometheus_query, _call(live.seed_end, names), env)
    assert out.series == []
    assert {"cis_done": 8, "cis": len(names)} in beats  # after the first batch of 8


async def test_a_tenant_session_sees_only_its_own_source(
    tools: PrometheusTools, live: Live
) -> None:
    from opsflow.db.session import tenant_session

    async with tenant_session(tools.res.pool, "t_acme", statement_timeout_ms=2000) as conn:
        assert await conn.fetchval("SELECT count(*) FROM tenant_source") == 0
    async with tenant_session(tools.res.pool, LIVE, statement_timeout_ms=2000) as conn:
        rows = await conn.fetch("SELECT tenant_id FROM tenant_source")
    assert [r["tenant_id"] for r in rows] == [LIVE]
