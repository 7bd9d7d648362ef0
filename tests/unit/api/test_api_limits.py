"""Body size and request rate limits, through the real middleware on a tiny ASGI app."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from opsflow.errors import (
    CircuitOpenError,
    DatabaseConnectionError,
    TenantIsolationError,
    ToolTimeoutError,
    ValidationError,
)
from opsflow_app.api.errors import STATUS_BY_CODE, ApiCode
from opsflow_app.api.limits import BodyLimit, RateLimit, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"bytes": len(await request.body())})


def _app(max_bytes: int = 100, buckets: TokenBuckets | None = None) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/echo", _echo, methods=["POST"]), Route("/healthz", _echo)])
    wrapped = RateLimit(BodyLimit(app, max_bytes), buckets or TokenBuckets(600, 600), "c")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t")


def test_buckets_admit_a_burst_then_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # callers are counted apart
    clock.now += 1.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0


async def test_declared_and_streamed_bodies_over_the_limit_are_413() -> None:
    async with _app(max_bytes=100) as http:
        assert (await http.post("/echo", content=b"x" * 100)).json() == {"bytes": 100}
        declared = await http.post("/echo", content=b"x" * 101)
        assert declared.status_code == 413
        assert declared.json()["error"] == "BODY_TOO_LARGE"

        async def chunks():  # no Content-Length: counted as it streams
            for _ in range(5):
                yield b"x" * 40

        streamed = await http.post("/echo", content=chunks())
        assert streamed.status_code == 413 and streamed.json()["error"] == "BODY_TOO_LARGE"


async def test_rate_limit_is_429_with_retry_after_per_credential() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2, clock=Clock())
    async with _app(buckets=buckets) as http:
        key_a = {"Authorization": "Bearer a"}
        assert (await http.post("/echo", headers=key_a)).status_code == 200
        assert (await http.post("/echo", headers=key_a)).status_code == 200
        limited = await http.post("/echo", headers=key_a)
        assert limited.status_code == 429
        assert limited.json()["error"] == "RATE_LIMITED"
        assert limited.headers["retry-after"] == "1"
        assert (await http.post("/echo", headers={"Authorization": "Bearer b"})).status_code == 200
        # Probes are never limited.
        probes = [(await http.get("/healthz")).status_code for _ in range(5)]
        assert probes == [200] * 5


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ValidationError.code, 422),
        (TenantIsolationError.code, 404),
        (DatabaseConnectionError.code, 503),
        (CircuitOpenError.code, 503),
        (ToolTimeoutError.code, 504),
        (ApiCode.UNAUTHORIZED, 401),
        (ApiCode.TEMPORAL_UNAVAILABLE, 503),
    ],
)
def test_project_codes_map_to_http_statuses(code: str, status: int) -> None:
    assert STATUS_BY_CODE[code] == status
