"""Circuit breaker: the state machine with a fake clock, then end to end through the fake server."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

import opsflow.llm.metrics as metrics
from opsflow.errors import CircuitOpenError
from opsflow.llm import (
    BreakerState,
    CircuitBreaker,
    LlmClient,
    LlmUnavailableError,
)
from opsflow.settings import Settings
from tests.fakes.llm_server import FakeLlmServer
from tests.unit.llm.conftest import FakeClock

MESSAGES = [{"role": "user", "content": "summarise"}]


def gauge(breaker: CircuitBreaker) -> float | None:
    return REGISTRY.get_sample_value("opsflow_llm_breaker_state", {"endpoint": breaker.name})


def state(breaker: CircuitBreaker) -> BreakerState:
    # A call, not the property: mypy would narrow a property across asserts.
    return breaker.state


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure()


def test_opens_after_threshold_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 4)
    assert state(breaker) is BreakerState.CLOSED
    fail(breaker, 1)
    assert state(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert not info.value.retryable
    assert info.value.details["retry_in_s"] == 60.0


def test_success_resets_the_streak(breaker: CircuitBreaker) -> None:
    fail(breaker, 4)
    breaker.before_call()
    breaker.record_success()
    fail(breaker, 4)
    assert state(breaker) is BreakerState.CLOSED


def test_half_open_admits_exactly_one_probe(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 5)
    clock.advance(59.9)
    assert state(breaker) is BreakerState.OPEN
    clock.advance(0.1)
    assert state(breaker) is BreakerState.HALF_OPEN
    breaker.before_call()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    breaker.record_success()
    assert state(breaker) is BreakerState.CLOSED
    breaker.before_call()  # closed: anyone may pass


def test_failed_probe_reopens_for_a_full_recovery(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 5)
    clock.advance(60)
    breaker.before_call()
    breaker.record_failure()
    assert state(breaker) is BreakerState.OPEN
    clock.advance(59)
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    clock.advance(1)
    breaker.before_call()


def test_released_probe_frees_the_slot(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 5)
    clock.advance(60)
    breaker.before_call()
    breaker.release()
    breaker.before_call()  # a new probe, not a stuck breaker


def test_straggler_outcomes_do_not_move_an_open_breaker(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 5)
    clock.advance(30)
    breaker.record_success()  # admitted before the circuit opened
    assert state(breaker) is BreakerState.OPEN
    breaker.record_failure()  # must not push recovery back
    clock.advance(30)
    assert state(breaker) is BreakerState.HALF_OPEN


def test_gauge_and_log_follow_transitions(breaker: CircuitBreaker, clock: FakeClock) -> None:
    assert gauge(breaker) == 0
    with capture_logs() as logs:
        fail(breaker, 5)
        assert gauge(breaker) == 2
        clock.advance(60)
        assert state(breaker) is BreakerState.HALF_OPEN
        assert gauge(breaker) == 1
        breaker.before_call()
        breaker.record_success()
        assert gauge(breaker) == 0
    changes = [e for e in logs if e["event"] == "breaker_state_changed"]
    assert [(e["from"], e["to"]) for e in changes] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    assert all(e["name"] == breaker.name for e in changes)


def test_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)


def test_each_client_owns_its_breaker_from_the_settings() -> None:
    # No process-wide registry: a worker's breaker lives on its LLM client (its resources),
    # so two workers in one process (tests, the demo) never share one.
    settings = Settings(OPENAI_API_KEY="k", OPSFLOW_BREAKER_FAILURES=3)
    a = LlmClient.from_settings(settings)
    b = LlmClient.from_settings(settings)
    assert a.breaker is not b.breaker
    assert a.breaker.failure_threshold == 3


def test_metrics_module_reload_does_not_double_register() -> None:
    before = metrics.BREAKER_STATE
    reloaded = importlib.reload(metrics)
    assert reloaded.BREAKER_STATE is before


async def call(client: LlmClient) -> str:
    content, _ = await client.complete_text(purpose="summary", model="m", messages=MESSAGES)
    return content


async def test_open_breaker_stops_calls_reaching_the_server(
    llm_server: FakeLlmServer, client: LlmClient, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    llm_server.mode = "http_500"
    for _ in range(5):
        with pytest.raises(LlmUnavailableError):
            await call(client)
    assert llm_server.hits == 5
    assert state(breaker) is BreakerState.OPEN

    with pytest.raises(CircuitOpenError):
        await call(client)
    assert llm_server.hits == 5  # failed fast, never sent

    clock.advance(60)
    llm_server.mode = "auto"
    # Two concurrent callers in half-open: the first becomes the probe, the second fails fast.
    results = await asyncio.gather(call(client), call(client), return_exceptions=True)
    assert isinstance(results[0], str)
    assert isinstance(results[1], CircuitOpenError)
    assert llm_server.hits == 6
    assert state(breaker) is BreakerState.CLOSED

    await call(client)
    assert llm_server.hits == 7


async def test_failed_probe_over_http_reopens(
    llm_server: FakeLlmServer, client: LlmClient, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    llm_server.mode = "http_500"
    for _ in range(5):
        with pytest.raises(LlmUnavailableError):
            await call(client)
    clock.advance(60)
    with pytest.raises(LlmUnavailableError):
        await call(client)
    assert llm_server.hits == 6
    with pytest.raises(CircuitOpenError):
        await call(client)
    assert llm_server.hits == 6


async def test_cancelled_probe_does_not_wedge_the_breaker(
    llm_server: FakeLlmServer, client: LlmClient, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 5)
    clock.advance(60)
    llm_server.mode = "hang"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(call(client), timeout=0.1)
    llm_server.mode = "auto"
    assert await call(client)
    assert state(breaker) is BreakerState.CLOSED
