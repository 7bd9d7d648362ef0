"""The real openai client against the real local fake server: every behaviour and its mapping."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx2
import openai
import pytest

from opsflow.errors import AppError, LlmError
from opsflow.llm import (
    CircuitBreaker,
    LlmAuthError,
    LlmBadRequestError,
    LlmClient,
    LlmEmptyResponseError,
    LlmNotConfiguredError,
    LlmQuotaError,
    LlmRateLimitedError,
    LlmTimeoutError,
    LlmUnavailableError,
    PlanParseError,
    build_plan_messages,
    build_summary_messages,
    endpoint_label,
    map_openai_error,
    parse_plan,
    plan_json_schema,
)
from opsflow.models import Plan
from opsflow.settings import Settings
from tests.fakes.llm_server import INJECTION_SQL, FakeLlmServer

CATALOG = "ci_search(name)\nmetric_timeseries(ci, metrics)\ndatabase_query(sql)"
CAPABILITIES = {"ci_search", "metric_timeseries", "event_search", "database_query"}
MESSAGES = [{"role": "user", "content": "why is checkout-api slow?"}]


async def plan_call(client: LlmClient) -> str:
    content, _ = await client.complete_json(
        purpose="plan",
        model="gpt-test",
        messages=build_plan_messages(
            "why is checkout-api slow?", "t_acme", CATALOG, ["checkout-api"], "2026-01-01T00:00Z"
        ),
        schema=plan_json_schema(),
        schema_name="plan",
    )
    return content


async def text_call(client: LlmClient) -> str:
    content, _ = await client.complete_text(purpose="summary", model="gpt-test", messages=MESSAGES)
    return content


async def test_good_plan_uses_test_builder_and_reports_usage(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    def builder(request: dict[str, Any]) -> str:
        assert "checkout-api" in request["messages"][-1]["content"]
        return json.dumps(
            {"steps": [{"id": "s1", "capability": "ci_search", "params": {"name": "checkout-api"}}]}
        )

    llm_server.mode = "good_plan"
    llm_server.plan_builder = builder
    content, usage = await client.complete_json(
        purpose="plan",
        model="gpt-test",
        messages=MESSAGES,
        schema=plan_json_schema(),
        schema_name="plan",
    )
    assert not llm_server.errors
    plan = parse_plan(content, capabilities=CAPABILITIES)
    assert plan.steps[0].params == {"name": "checkout-api"}
    assert usage.purpose == "plan" and usage.model == "gpt-test"
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.outcome == "ok" and usage.attempts == 1 and usage.latency_ms > 0


async def test_request_carries_json_schema_response_format(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    await plan_call(client)
    body = llm_server.requests[-1]
    assert body["model"] == "gpt-test"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "plan", "schema": plan_json_schema(), "strict": False},
    }
    assert body["messages"][0]["role"] == "system"


async def test_text_request_has_no_response_format(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    await text_call(client)
    assert "response_format" not in llm_server.requests[-1]


async def test_summary_cites_step_ids(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.mode = "summary"
    content, usage = await client.complete_text(
        purpose="summary",
        model="gpt-test",
        messages=build_summary_messages(
            "why slow?", '{"root_causes": []}', json.dumps({"metrics": {}, "events": {}})
        ),
    )
    assert "[metrics]" in content and "[events]" in content
    assert usage.purpose == "summary"


async def test_http_500_is_retryable_unavailable_and_not_retried_by_sdk(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    llm_server.mode = "http_500"
    with pytest.raises(LlmUnavailableError) as info:
        await text_call(client)
    err = info.value
    assert isinstance(err, LlmError)
    assert err.code == "LLM_UNAVAILABLE" and err.retryable and err.status_code == 500
    # max_retries=0: one attempt per call, Temporal owns the retries.
    assert llm_server.hits == 1
    assert err.usage is not None and err.usage.outcome == "LLM_UNAVAILABLE"


async def test_http_429_carries_retry_after(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.mode = "http_429"
    with pytest.raises(LlmRateLimitedError) as info:
        await text_call(client)
    assert info.value.code == "LLM_RATE_LIMITED"
    assert info.value.retryable
    assert info.value.retry_after_s == 2
    assert llm_server.hits == 1


async def test_hang_trips_client_timeout(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.mode = "hang"
    started = time.perf_counter()
    with pytest.raises(LlmTimeoutError) as info:
        await text_call(client)
    elapsed = time.perf_counter() - started
    assert info.value.code == "LLM_TIMEOUT" and info.value.retryable
    # The client's 0.5 s timeout ended it, not the server's 30 s hang.
    assert 0.4 <= elapsed < 15.0


async def test_auth_401_is_not_retryable(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.mode = "auth_401"
    with pytest.raises(LlmAuthError) as info:
        await text_call(client)
    assert info.value.code == "LLM_AUTH"
    assert not info.value.retryable
    assert "Incorrect API key" in str(info.value)


async def test_wrong_key_is_auth_error(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.api_key = "the-right-key"
    with pytest.raises(LlmAuthError):
        await text_call(client)


async def test_bad_request_is_not_retryable(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.mode = "bad_request"
    with pytest.raises(LlmBadRequestError) as info:
        await plan_call(client)
    assert info.value.code == "LLM_BAD_REQUEST" and not info.value.retryable


async def test_empty_content_is_an_error(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.mode = "empty"
    with pytest.raises(LlmEmptyResponseError) as info:
        await text_call(client)
    assert not info.value.retryable
    assert info.value.usage is not None and info.value.usage.prompt_tokens > 0


async def test_unknown_tool_reaches_parse_as_readable_error(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    llm_server.mode = "unknown_tool"
    content = await plan_call(client)
    with pytest.raises(PlanParseError) as info:
        parse_plan(content, capabilities=CAPABILITIES)
    assert "'teleport' is not in the catalog" in info.value.errors[0]
    # Without a capability set the plan is well-formed; tool resolution rejects the step.
    assert parse_plan(content).steps[0].capability == "teleport"


async def test_malformed_json_reaches_parse_as_readable_error(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    llm_server.mode = "malformed_json"
    content = await plan_call(client)
    with pytest.raises(PlanParseError) as info:
        parse_plan(content)
    assert info.value.errors[0].startswith("invalid JSON at line 1")


async def test_injection_sql_passes_through_untouched(
    llm_server: FakeLlmServer, client: LlmClient
) -> None:
    # The LLM layer neither trusts nor "fixes" SQL: direct_query validates it before any
    # connection opens. What matters here is that it arrives verbatim.
    llm_server.mode = "injection"
    plan = parse_plan(await plan_call(client), capabilities=CAPABILITIES)
    assert isinstance(plan, Plan)
    assert plan.steps[0].capability == "database_query"
    assert plan.steps[0].params["sql"] == INJECTION_SQL


async def test_queued_behaviours_then_mode(llm_server: FakeLlmServer, client: LlmClient) -> None:
    llm_server.enqueue("http_500", "http_429")
    with pytest.raises(LlmUnavailableError):
        await text_call(client)
    with pytest.raises(LlmRateLimitedError):
        await text_call(client)
    assert await text_call(client)
    assert llm_server.hits == 3


async def test_unreachable_endpoint_is_retryable_unavailable(breaker: CircuitBreaker) -> None:
    server = FakeLlmServer()
    async with server:
        url = server.base_url  # a port that was free a moment ago and is closed now
    async with LlmClient(base_url=url, api_key="k", timeout_s=0.5, breaker=breaker) as llm:
        with pytest.raises(LlmUnavailableError) as info:
            await text_call(llm)
    assert info.value.retryable and "cannot reach" in info.value.message


async def test_ping_ok_and_errors(llm_server: FakeLlmServer, client: LlmClient) -> None:
    await client.ping()
    assert llm_server.model_list_hits == 1
    llm_server.mode = "auth_401"
    with pytest.raises(LlmAuthError, match="startup check failed"):
        await client.ping()


async def test_ping_unreachable_is_clear(breaker: CircuitBreaker) -> None:
    server = FakeLlmServer()
    async with server:
        url = server.base_url
    async with LlmClient(base_url=url, api_key="k", timeout_s=0.5, breaker=breaker) as llm:
        with pytest.raises(LlmUnavailableError, match=r"startup check failed: cannot reach"):
            await llm.ping()


async def test_ping_wrong_path_hints_at_v1(llm_server: FakeLlmServer, breaker: CircuitBreaker):
    base = llm_server.base_url.removesuffix("/v1")
    async with LlmClient(base_url=base, api_key="k", timeout_s=0.5, breaker=breaker) as llm:
        with pytest.raises(LlmBadRequestError, match="/v1"):
            await llm.ping()


async def test_breaker_counts_only_infrastructure_failures(
    llm_server: FakeLlmServer, client: LlmClient, breaker: CircuitBreaker
) -> None:
    llm_server.enqueue("http_500", "http_500")
    for _ in range(2):
        with pytest.raises(LlmUnavailableError):
            await text_call(client)
    assert breaker.consecutive_failures == 2
    llm_server.enqueue("auth_401")
    with pytest.raises(LlmAuthError):
        await text_call(client)
    # The endpoint answered: it is up, so the streak of infrastructure failures ends.
    assert breaker.consecutive_failures == 0


async def test_cancelled_call_is_not_a_failure(
    llm_server: FakeLlmServer, client: LlmClient, breaker: CircuitBreaker
) -> None:
    llm_server.mode = "hang"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(text_call(client), timeout=0.1)
    assert breaker.consecutive_failures == 0


def test_from_settings_requires_key() -> None:
    with pytest.raises(LlmNotConfiguredError) as info:
        LlmClient.from_settings(Settings(openai_api_key=None))
    assert not info.value.retryable


async def test_from_settings_uses_timeout_and_its_own_breaker(llm_server: FakeLlmServer) -> None:
    settings = Settings(
        openai_api_key="k",
        openai_base_url=llm_server.base_url,
        llm_timeout_s=0.5,
        breaker_failure_threshold=3,
    )
    llm_server.mode = "hang"
    async with LlmClient.from_settings(settings) as one, LlmClient.from_settings(settings) as two:
        # One breaker per client (per worker resources), none shared across the process.
        assert one.breaker is not two.breaker
        assert one.breaker.failure_threshold == 3
        with pytest.raises(LlmTimeoutError):
            await text_call(one)
    assert llm_server.requests[-1]["max_completion_tokens"] == settings.llm_max_tokens


def test_endpoint_label_drops_credentials() -> None:
    assert endpoint_label("https://user:secret@llm.example:8443/v1/?x=1") == (
        "https://llm.example:8443/v1"
    )


def _status_error(
    status: int, *, headers: dict[str, str] | None = None, body: object = None
) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://llm.test/v1/chat/completions")
    response = httpx2.Response(status, headers=headers or {}, request=request)
    return openai.APIStatusError("boom", response=response, body=body)


@pytest.mark.parametrize(
    ("status", "expected", "retryable"),
    [
        (400, LlmBadRequestError, False),
        (403, LlmAuthError, False),
        (404, LlmBadRequestError, False),
        (408, LlmTimeoutError, True),
        (409, LlmUnavailableError, True),
        (422, LlmBadRequestError, False),
        (502, LlmUnavailableError, True),
        (503, LlmUnavailableError, True),
    ],
)
def test_status_mapping(status: int, expected: type[AppError], retryable: bool) -> None:
    err = map_openai_error(_status_error(status), endpoint="http://llm.test/v1")
    assert type(err) is expected
    assert err.retryable is retryable


def test_503_retry_after_and_429_quota() -> None:
    err = map_openai_error(_status_error(503, headers={"Retry-After": "7"}), endpoint="e")
    assert err.retry_after_s == 7
    quota = map_openai_error(
        _status_error(
            429, body={"message": "You exceeded your quota", "code": "insufficient_quota"}
        ),
        endpoint="e",
    )
    assert isinstance(quota, LlmQuotaError) and not quota.retryable
    assert "exceeded your quota" in quota.message


def test_retry_after_ms_header_wins() -> None:
    err = map_openai_error(
        _status_error(429, headers={"retry-after-ms": "1500", "retry-after": "2"}), endpoint="e"
    )
    assert err.retry_after_s == 1.5
