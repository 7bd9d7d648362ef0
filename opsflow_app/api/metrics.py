"""The API's own Prometheus metrics, in a registry of their own (``GET /metrics``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class ApiMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "opsflow_api_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "opsflow_api_request_seconds",
            "Time to the response's first byte, by route template",
            ["route"],
            buckets=(0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.questions = Counter(
            "opsflow_api_questions_started",
            "Questions started through the API, by tenant",
            ["tenant"],
            registry=self.registry,
        )


class RequestMetrics:
    """Counts every response, limits' refusals included (hence a middleware)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The matched route's template, not the raw path: ids would explode the labels.
                route = scope.get("route")
                name = getattr(route, "path", None) or "unmatched"
                self.metrics.requests.labels(name, scope["method"], str(message["status"])).inc()
                self.metrics.latency.labels(name).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, observe)
