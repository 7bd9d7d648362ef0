"""OpsFlow's Prometheus metrics and the worker's one scrape endpoint.

Exposition: ONE endpoint per worker process, ``http://<worker>:$OPSFLOW_METRICS_PORT/metrics``,
serving both metric sets:

- our metrics (``opsflow_*``, the default ``prometheus_client`` registry, which the LLM
  client's ``opsflow_llm_*`` metrics share), and
- the Temporal runtime's metrics (``temporal_*``: polls, task latencies, slots,
  activity/workflow outcomes). The runtime's exporter is a Rust HTTP listener that only
  binds its own address, so it listens on an internal loopback port and every scrape of
  our endpoint reads it and re-exposes its families through our registry.

Why one endpoint rather than two ports: a scrape config then needs one target per replica
(``worker`` replicas are found by DNS), one port is published and firewalled, and both
sets share the scrape's timestamp and ``up``. The runtime's text is parsed and
re-rendered rather than concatenated, so the answer is valid in whichever format the
scraper negotiates (Prometheus asks for OpenMetrics first, where counters must end in
``_total``: hence ``counters_total_suffix=True`` on the runtime). When the runtime
exporter cannot be read the scrape still succeeds with our metrics and
``opsflow_runtime_metrics_up 0``.

Prometheus scrape config for the compose stack (one target per worker replica)::

    scrape_configs:
      - job_name: opsflow-worker
        dns_sd_configs:
          - names: [worker]
            type: A
            port: 9464
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from threading import Thread
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from opsflow.prometheus_registry import counter, histogram

log = structlog.get_logger(__name__)

# Seconds; tool calls range from a cached lookup (ms) to a raw metric scan near its timeout.
TOOL_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
# A scrape must not hang on a stuck runtime exporter; Prometheus' own default timeout is 10 s.
RUNTIME_SCRAPE_TIMEOUT_S = 2.0


TOOL_LATENCY = histogram(
    "opsflow_tool_latency_seconds",
    "Wall time of one tool call (one activity attempt), failures included.",
    ["tool", "outcome"],
    TOOL_LATENCY_BUCKETS,
)
# Exposed as opsflow_tool_calls_total (prometheus_client adds the suffix).
TOOL_CALLS = counter(
    "opsflow_tool_calls",
    "Tool calls (activity attempts) by tool and outcome: ok or an error code.",
    ["tool", "outcome"],
)
FALLBACKS = counter(
    "opsflow_fallbacks",
    "Steps that left their primary tool (or the LLM) for a fallback, by capability and reason.",
    ["capability", "reason"],
)
SQL_BLOCKED = counter(
    "opsflow_sql_blocked",
    "LLM-written statements rejected by the SQL safety validator, once per distinct code.",
    ["code"],
)


def observe_tool(tool: str, outcome: str, seconds: float) -> None:
    """``outcome``: ``ok`` or the error's stable code (bounded label values, never messages)."""
    TOOL_LATENCY.labels(tool=tool, outcome=outcome).observe(seconds)
    TOOL_CALLS.labels(tool=tool, outcome=outcome).inc()


def count_fallback(capability: str, reason: str) -> None:
    """``reason``: a code such as ``TIMEOUT`` or ``CIRCUIT_OPEN``, not free text."""
    FALLBACKS.labels(capability=capability, reason=reason).inc()


def count_sql_blocked(codes: Iterable[str]) -> None:
    """One blocked statement: each distinct violation code counts once."""
    distinct = set(codes) or {"UNSPECIFIED"}
    for code in sorted(distinct):
        SQL_BLOCKED.labels(code=code).inc()


def temporal_runtime(metrics_port: int | None, *, host: str = "127.0.0.1") -> Runtime:
    """A runtime whose Prometheus exporter listens on ``host:metrics_port``.

    ``None`` gives the SDK's default runtime (no metrics). Create it before the client:
    ``Client.connect(..., runtime=runtime)``; the worker inherits the client's runtime.
    """
    if metrics_port is None:
        return Runtime.default()
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=f"{host}:{metrics_port}", counters_total_suffix=True
            )
        )
    )


class _RuntimeBridge:
    """Collector that re-exposes the Temporal runtime exporter's families at scrape time."""

    def __init__(self, url: str) -> None:
        self.url = url

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "opsflow_runtime_metrics_up",
            "1 when the Temporal runtime's metrics were read for this scrape, else 0.",
        )
        try:
            with urllib.request.urlopen(self.url, timeout=RUNTIME_SCRAPE_TIMEOUT_S) as resp:
                text = resp.read().decode("utf-8")
            families = list(text_string_to_metric_families(text))
        except (OSError, ValueError) as err:
            # OSError covers URLError and timeouts; ValueError a text the parser rejects.
            # The scrape goes on with our own metrics; the gauge makes the gap visible.
            log.warning("runtime_metrics_unreadable", url=self.url, error=str(err))
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families


class _Combined:
    """The default registry plus the runtime bridge, without mutating the default registry
    (a second server in the same process, e.g. a test, must not double-register)."""

    def __init__(self, registry: CollectorRegistry, bridge: _RuntimeBridge | None) -> None:
        self._registry = registry
        self._bridge = bridge

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()
        if self._bridge is not None:
            yield from self._bridge.collect()


@dataclass
class MetricsServer:
    port: int
    runtime_metrics_url: str | None
    _server: WSGIServer = field(repr=False)
    _thread: Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_opsflow_metrics_server(
    port: int,
    *,
    # All interfaces: Prometheus scrapes from another container.
    addr: str = "0.0.0.0",
    runtime_metrics_url: str | None = None,
) -> MetricsServer:
    """Serve our registry (and the runtime's metrics, when a URL is given) on ``addr:port``.

    ``port=0`` picks a free port (tests); the chosen one is ``server.port``.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Combined(REGISTRY, _RuntimeBridge(runtime_metrics_url) if runtime_metrics_url else None)
    )
    server, thread = start_http_server(port, addr=addr, registry=registry)
    bound = int(server.server_port)
    log.info("metrics_server_started", port=bound, runtime_metrics=runtime_metrics_url)
    return MetricsServer(bound, runtime_metrics_url, server, thread)


@dataclass
class WorkerMetrics:
    runtime: Runtime
    server: MetricsServer | None

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup_worker_metrics(metrics_port: int | None, *, addr: str = "0.0.0.0") -> WorkerMetrics:
    """The worker's telemetry: runtime exporter on an internal loopback port, everything
    served on ``metrics_port``. ``None``: the default runtime and no server."""
    if metrics_port is None:
        return WorkerMetrics(Runtime.default(), None)
    internal = _free_loopback_port()
    runtime = temporal_runtime(internal)
    server = start_opsflow_metrics_server(
        metrics_port, addr=addr, runtime_metrics_url=f"http://127.0.0.1:{internal}/metrics"
    )
    return WorkerMetrics(runtime, server)


__all__ = [
    "FALLBACKS",
    "SQL_BLOCKED",
    "TOOL_CALLS",
    "TOOL_LATENCY",
    "MetricsServer",
    "WorkerMetrics",
    "count_fallback",
    "count_sql_blocked",
    "observe_tool",
    "setup_worker_metrics",
    "start_opsflow_metrics_server",
    "temporal_runtime",
]
