from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from opsflow.llm import CircuitBreaker, LlmClient
from tests.fakes.llm_server import FakeLlmServer

# Short enough that ``hang`` tests stay fast, long enough for a loaded CI box to answer.
CLIENT_TIMEOUT_S = 0.5


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def llm_server() -> AsyncIterator[FakeLlmServer]:
    async with FakeLlmServer(mode="auto") as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    # A private breaker per test: the process-wide registry would leak state between tests.
    return CircuitBreaker(5, 60.0, clock=clock, name=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def client(llm_server: FakeLlmServer, breaker: CircuitBreaker) -> AsyncIterator[LlmClient]:
    async with LlmClient(
        base_url=llm_server.base_url,
        api_key="test-key",
        timeout_s=CLIENT_TIMEOUT_S,
        breaker=breaker,
    ) as llm:
        yield llm
