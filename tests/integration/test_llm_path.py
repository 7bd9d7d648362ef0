"""The LLM path inside the real worker: the real ``openai`` client against a local
chat-completions server; each scripted behaviour ends in its documented status."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from opsflow.models import OrchestrationResult, Status, StepStatus
from opsflow.settings import Settings
from opsflow_app.seed import Incident, read_incidents
from tests.fakes.llm_server import FakeLlmServer
from tests.support.harness import activity_timeline, ask, history_events, start_question

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def incident(settings: Settings, seeded: datetime) -> Incident:
    conn = await asyncpg.connect(settings.db_dsn)
    try:
        return (await read_incidents(conn, "t_acme"))[0]
    finally:
        await conn.close()


def focus_of(incident: Incident) -> str:
    match = re.match(r"why is (\S+) slow\?", incident.question)
    assert match, incident.question
    return match.group(1)


def plan_builder(incident: Incident) -> Callable[[dict[str, Any]], str]:
    def build(_: dict[str, Any]) -> str:
        return investigation_plan(focus_of(incident))

    return build


def investigation_plan(ci: str) -> str:
    return json.dumps(
        {
            "focus_ci": ci,
            "intent": "why_slow",
            "steps": [
                {
                    "id": "topo",
                    "capability": "graph_traversal",
                    "params": {"ci": ci, "direction": "upstream"},
                    "depends_on": [],
                },
                {
                    "id": "own",
                    "capability": "metric_timeseries",
                    "params": {"ci": ci},
                    "depends_on": [],
                },
                {
                    "id": "up",
                    "capability": "metric_timeseries",
                    "params": {"include_inputs": True},
                    "depends_on": ["topo"],
                },
                {
                    "id": "chg",
                    "capability": "event_search",
                    "params": {"include_inputs": True, "window_minutes": 240},
                    "depends_on": ["topo"],
                },
            ],
        }
    )


@asynccontextmanager
async def llm_worker(
    temporal_client: Any, settings: Settings, server: FakeLlmServer, **extra: Any
) -> AsyncIterator[Settings]:
    from tests.support.harness import running_worker

    async with running_worker(
        temporal_client,
        settings,
        openai_api_key="test-key",
        openai_base_url=server.base_url,
        llm_model="fake-model",
        llm_timeout_s=1.0,
        **extra,
    ) as s:
        yield s


async def test_llm_plans_and_narrates_a_successful_answer(
    temporal_client, settings: Settings, seeded: datetime, incident: Incident
) -> None:
    async with FakeLlmServer(mode="auto", plan_builder=plan_builder(incident)) as server:
        async with llm_worker(temporal_client, settings, server) as s:
            handle = await start_question(
                temporal_client, s, incident.question, "t_acme", at=seeded
            )
            result: OrchestrationResult = await handle.result()
    assert result.status is Status.SUCCESS, result.fallbacks
    assert result.planner == "llm"
    assert result.root_causes[0].ci == incident.root_ci
    purposes = [u.purpose for u in result.llm_usage]
    assert purposes == ["plan", "summary"]
    assert all(u.prompt_tokens > 0 and u.model == "fake-model" for u in result.llm_usage)
    names = [n for k, n, _ in activity_timeline(await history_events(handle)) if k == "scheduled"]
    assert "plan_request" in names and "summarize" in names and "rule_plan" not in names
    # The prompt carried the catalog and the tenant's CI names, never another tenant's.
    prompt = json.dumps(server.requests[0])
    assert "metric_timeseries" in prompt and focus_of(incident) in prompt
    assert "t_globex" not in prompt


@pytest.mark.parametrize("mode", ["http_500", "malformed_json", "unknown_tool"])
async def test_llm_failures_degrade_to_the_rule_planner(
    temporal_client, settings: Settings, seeded: datetime, mode: str, incident: Incident
) -> None:
    async with FakeLlmServer(mode=mode, plan_builder=plan_builder(incident)) as server:
        async with llm_worker(temporal_client, settings, server) as s:
            result = await ask(temporal_client, s, incident.question, "t_acme", at=seeded)
    assert result.status is Status.DEGRADED
    assert result.planner == "rules"
    planner_fallback = result.fallbacks[0]
    assert planner_fallback.tool_attempted == "plan_request"
    assert planner_fallback.tool_used_fallback == "rule_plan"
    expected = {
        "http_500": "llm_error",
        "malformed_json": "invalid_plan",
        "unknown_tool": "invalid_plan",
    }[mode]
    assert planner_fallback.reason == expected
    assert result.root_causes[0].ci == incident.root_ci
    if mode != "http_500":
        # One repair round with the validation errors, then rules (no fallback model set).
        assert server.hits >= 2
        repair = json.dumps(server.requests[1])
        assert "error" in repair.lower()


async def test_rate_limit_retry_after_becomes_the_next_retry_delay(
    temporal_client, settings: Settings, seeded: datetime, incident: Incident
) -> None:
    async with FakeLlmServer(mode="auto", plan_builder=plan_builder(incident)) as server:
        server.enqueue("http_429")
        async with llm_worker(temporal_client, settings, server) as s:
            handle = await start_question(
                temporal_client, s, incident.question, "t_acme", at=seeded
            )
            result = await handle.result()
    assert result.status is Status.SUCCESS
    assert result.planner == "llm"
    events = await history_events(handle)
    started = [e for e in events if "activityTaskStartedEventAttributes" in e]
    plan_scheduled = next(
        e["eventId"]
        for e in events
        if e.get("activityTaskScheduledEventAttributes", {}).get("activityType", {}).get("name")
        == "plan_request"
    )
    plan_started = next(
        e
        for e in started
        if e["activityTaskStartedEventAttributes"]["scheduledEventId"] == plan_scheduled
    )
    assert plan_started["activityTaskStartedEventAttributes"]["attempt"] == 2


async def test_injected_sql_from_the_llm_is_blocked_end_to_end(
    temporal_client, settings: Settings, seeded: datetime
) -> None:
    async with FakeLlmServer(mode="injection") as server:
        async with llm_worker(temporal_client, settings, server) as s:
            result = await ask(temporal_client, s, "show me all cis", "t_acme", at=seeded)
    blocked = [st for st in result.steps if st.capability == "database_query"]
    assert blocked and blocked[0].status is StepStatus.FAILED
    assert blocked[0].reason == "sql_blocked"
    assert blocked[0].error_code == "SQL_BLOCKED"
    assert any(m.reason == "sql_blocked" for m in result.missing)
    assert not any(b.kind == "table" and b.source_steps == [blocked[0].id] for b in result.blocks)


async def test_breaker_opens_after_five_failures_and_requests_stop_reaching_the_server(
    temporal_client, settings: Settings, seeded: datetime, incident: Incident
) -> None:
    async with (
        FakeLlmServer(mode="http_500") as server,
        llm_worker(
            temporal_client,
            settings,
            server,
            tool_policies_json=json.dumps(
                {"plan_request": {"maximum_attempts": 1}, "summarize": {"maximum_attempts": 1}}
            ),
        ) as s,
    ):
        reasons = []
        for _ in range(4):
            result = await ask(temporal_client, s, incident.question, "t_acme", at=seeded)
            assert result.status is Status.DEGRADED
            reasons.append(result.fallbacks[0].reason)
        hits = server.hits
        # plan + summary per question: the breaker opened at the fifth failure.
        assert hits == 5
        late = await ask(temporal_client, s, incident.question, "t_acme", at=seeded)
    assert server.hits == hits
    assert late.fallbacks[0].reason == "circuit_open"
    assert reasons[0] == "llm_error" and "circuit_open" in reasons
