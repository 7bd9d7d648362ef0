"""The whole app without Temporal: what is refused before any workflow is touched (auth,
body, validation) and what Temporal being down looks like (503 with the error JSON)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from opsflow.errors import ValidationError
from opsflow.settings import Settings
from opsflow_app.api import create_app
from opsflow_app.stack._procs import free_port

KEY = "acme-unit-key-0123456789"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # A port nobody listens on: every Temporal call fails fast with "connection refused".
    settings = Settings(
        OPSFLOW_API_KEYS=f"{KEY}:t_acme", TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}"
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


def test_no_keys_configured_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="OPSFLOW_API_KEYS"):
        create_app(Settings(OPSFLOW_API_KEYS=""))


async def test_no_key_is_401_before_the_body_is_judged(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/questions", content=b"{broken")
    assert response.status_code == 401 and response.json()["error"] == "UNAUTHORIZED"


async def test_a_streamed_body_over_the_limit_is_413(http: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 4000

    response = await http.post(
        "/v1/questions", content=chunks(), headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 413 and response.json()["error"] == "BODY_TOO_LARGE"


async def test_temporal_down_is_503_with_the_error_json(http: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    asked = await http.post("/v1/questions", json={"question": "why?"}, headers=auth)
    assert asked.status_code == 503
    assert asked.json()["error"] == "TEMPORAL_UNAVAILABLE"
    health = await http.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"


async def test_unknown_route_keeps_the_error_shape(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"
