"""Graceful degradation while the LLM endpoint is down.

A real HTTP server speaks the chat-completions API and answers every request with a 500;
the real ``openai`` client and the worker's circuit breaker face it. Answers come from the
rule planner and the template summary (``degraded``), and once the breaker has seen
``breaker_failure_threshold`` consecutive failures it opens: later requests never reach the
server and the recorded fallback reason becomes ``circuit_open``.

The breaker is the worker's own (on its resources), so this worker runs in the test
process and the test reads that breaker's state.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client

from opsflow.llm.breaker import BreakerState
from opsflow.models import FallbackDetails, OrchestrationResult, Status
from opsflow.names import StepReason
from opsflow.policies import DEFAULT_POLICIES
from tests.chaos.conftest import ChaosStack
from tests.fakes.llm_server import FakeLlmServer
from tests.support.harness import ask, worker_with_resources

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

THRESHOLD = 5
QUESTIONS = (
    "why is checkout-api slow?",
    "what changed on payments-api?",
    "why is orders-service failing?",
    "why is catalog-service slow?",
)


def _fallback(result: OrchestrationResult, tool: str) -> FallbackDetails:
    found = [f for f in result.fallbacks if f.tool_attempted == tool]
    assert len(found) == 1, result.fallbacks
    return found[0]


async def test_llm_outage_degrades_to_rules_and_the_breaker_stops_the_calls(
    chaos: ChaosStack, chaos_client: Client
) -> None:
    # Attempts per question before the breaker opens: every one is a failure it counts.
    attempts = sum(DEFAULT_POLICIES[a].maximum_attempts for a in ("plan_request", "summarize"))
    assert attempts <= THRESHOLD  # the first question must end with the breaker still closed
    async with (
        FakeLlmServer(mode="http_500") as server,
        worker_with_resources(
            chaos_client,
            chaos.settings,
            openai_api_key="test",
            openai_base_url=server.base_url,
            breaker_failure_threshold=THRESHOLD,
            breaker_recovery_s=60,
        ) as (settings, res),
    ):
        # The worker's own breaker: it lives on its resources, a fresh one per worker.
        assert res.llm is not None
        breaker = res.llm.breaker
        results: list[OrchestrationResult] = []
        hits: list[int] = []
        for question in QUESTIONS:
            result = await asyncio.wait_for(
                ask(chaos_client, settings, question, "t_acme", at=chaos.seeded), 90
            )
            results.append(result)
            hits.append(server.hits)

    reasons = []
    for result in results:
        assert result.status is Status.DEGRADED, (result.question, result.steps)
        assert result.planner == "rules"
        plan = _fallback(result, "plan_request")
        assert plan.tool_used_fallback == "rule_plan"
        summary = _fallback(result, "summarize")
        assert summary.tool_used_fallback == "template_summary"
        assert summary.reason == plan.reason
        reasons.append(plan.reason)
        # Every step answered on its primary tool: only the LLM was degraded.
        assert all(s.status.value == "succeeded" for s in result.steps), result.steps
    # The first failures are the endpoint's own (HTTP 500 -> retried -> rules)...
    assert reasons[0] == "llm_error"
    assert _fallback(results[0], "plan_request").error_code == "LLM_UNAVAILABLE"
    # ...then the breaker opened after THRESHOLD consecutive failures and stays open.
    opened = reasons.index(StepReason.CIRCUIT_OPEN)
    assert all(r == "circuit_open" for r in reasons[opened:])
    assert len(reasons) - opened >= 2
    assert _fallback(results[-1], "plan_request").error_code == "CIRCUIT_OPEN"
    assert hits[opened - 1] == THRESHOLD
    assert hits[opened:] == [THRESHOLD] * (len(hits) - opened)  # no request reached it
    assert server.hits == THRESHOLD
    assert breaker.state is BreakerState.OPEN
