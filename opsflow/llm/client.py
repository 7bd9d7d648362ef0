"""The one way OpsFlow talks to an OpenAI-compatible endpoint.

``max_retries=0``: Temporal owns retries so every attempt is visible in the history.
Each call goes through the endpoint's circuit breaker and leaves one ``LlmUsage``
(on success) or an ``LlmCallError`` carrying one (on failure).
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai
import structlog
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from opsflow.errors import CircuitOpenError
from opsflow.llm.breaker import CircuitBreaker
from opsflow.llm.errors import (
    LlmAuthError,
    LlmBadRequestError,
    LlmCallError,
    LlmEmptyResponseError,
    LlmNotConfiguredError,
    LlmQuotaError,
    LlmRateLimitedError,
    LlmTimeoutError,
    LlmUnavailableError,
    parse_retry_after,
)
from opsflow.llm.metrics import LLM_LATENCY, LLM_REQUESTS, LLM_TOKENS
from opsflow.models import LlmUsage
from opsflow.settings import Settings

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
Message = dict[str, str]


def endpoint_label(base_url: str) -> str:
    """The base URL without credentials, query or fragment: a safe metric label and breaker key."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _retry_after(headers: httpx2.Headers) -> float | None:
    # OpenAI sends retry-after-ms with more precision than the standard header.
    ms = headers.get("retry-after-ms")
    if ms is not None and ms.strip().replace(".", "", 1).isdigit():
        return parse_retry_after(str(float(ms) / 1000.0))
    return parse_retry_after(headers.get("retry-after"))


def _server_message(exc: openai.APIStatusError) -> str:
    # The SDK's own message repeats the status code; the provider's text is what helps.
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    return exc.message


def map_openai_error(exc: openai.OpenAIError, *, endpoint: str) -> LlmCallError:
    """Translate an SDK exception into our hierarchy; ``retryable`` decides Temporal's move."""
    if isinstance(exc, openai.APITimeoutError):
        return LlmTimeoutError(f"LLM request to {endpoint} timed out")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return LlmUnavailableError(f"cannot reach LLM endpoint {endpoint}: {cause}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = f"LLM endpoint {endpoint} returned HTTP {status}: {_server_message(exc)}"
        if status == 429:
            if exc.code == "insufficient_quota":
                return LlmQuotaError(detail, status_code=status)
            return LlmRateLimitedError(
                detail, status_code=status, retry_after_s=_retry_after(exc.response.headers)
            )
        if status in (401, 403):
            return LlmAuthError(detail, status_code=status)
        if status == 408:
            return LlmTimeoutError(detail, status_code=status)
        if status == 409 or status >= 500:
            # 503s may say when to come back, too.
            return LlmUnavailableError(
                detail, status_code=status, retry_after_s=_retry_after(exc.response.headers)
            )
        return LlmBadRequestError(detail, status_code=status)
    # Anything else the SDK raises (e.g. a 200 whose body is not a completion) is an
    # endpoint misbehaving; a later attempt may well reach a healthy replica.
    return LlmUnavailableError(f"LLM endpoint {endpoint} failed: {exc}")


class LlmClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = 20.0,
        breaker: CircuitBreaker | None = None,
        max_completion_tokens: int | None = None,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        self.endpoint = endpoint_label(base_url)
        # One breaker per client, and one client per worker (on its resources).
        self.breaker = breaker if breaker is not None else CircuitBreaker(name=self.endpoint)
        self._max_completion_tokens = max_completion_tokens
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout_s,
            max_retries=0,
            http_client=http_client,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmClient:
        if not settings.openai_api_key:
            raise LlmNotConfiguredError("OPENAI_API_KEY is not set; the LLM planner is off")
        base_url = settings.openai_base_url or DEFAULT_BASE_URL
        return cls(
            base_url=base_url,
            api_key=settings.openai_api_key,
            timeout_s=settings.llm_timeout_s,
            breaker=CircuitBreaker(
                settings.breaker_failure_threshold,
                settings.breaker_recovery_s,
                name=endpoint_label(base_url),
            ),
            max_completion_tokens=settings.llm_max_tokens,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> LlmClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def complete_json(
        self,
        *,
        purpose: str,
        model: str,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
    ) -> tuple[str, LlmUsage]:
        """Structured output; the content is returned raw for ``parse_plan`` to judge.

        ``strict`` is off: strict mode rejects schemas with open objects (plan params)
        and many OpenAI-compatible servers do not implement it; validation is ours.
        """
        response_format: ResponseFormat = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": schema, "strict": False},
        }
        return await self._complete(
            purpose=purpose, model=model, messages=messages, response_format=response_format
        )

    async def complete_text(
        self, *, purpose: str, model: str, messages: list[Message]
    ) -> tuple[str, LlmUsage]:
        return await self._complete(
            purpose=purpose, model=model, messages=messages, response_format=None
        )

    async def ping(self) -> None:
        """Startup check (GET /models): reachable and accepting our key, else a clear error."""
        try:
            await self._client.models.list()
        except openai.OpenAIError as exc:
            err = map_openai_error(exc, endpoint=self.endpoint)
            hint = ""
            if isinstance(err, LlmBadRequestError) and err.status_code == 404:
                hint = " (is OPENAI_BASE_URL missing its /v1 path?)"
            raise type(err)(
                f"LLM startup check failed: {err.message}{hint}",
                status_code=err.status_code,
                retry_after_s=err.retry_after_s,
            ) from exc

    async def _complete(
        self,
        *,
        purpose: str,
        model: str,
        messages: list[Message],
        response_format: ResponseFormat | None,
    ) -> tuple[str, LlmUsage]:
        try:
            self.breaker.before_call()
        except CircuitOpenError:
            LLM_REQUESTS.labels(self.endpoint, purpose, "CIRCUIT_OPEN").inc()
            raise
        started = time.perf_counter()
        try:
            completion = await self._create(model, messages, response_format)
        except openai.OpenAIError as exc:
            err = map_openai_error(exc, endpoint=self.endpoint)
            # Only infrastructure trouble says the endpoint is unhealthy; a rejected key or
            # request proves it is up and answering.
            if err.retryable:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            err.usage = self._usage(purpose, model, started, outcome=err.code)
            self._observe(err.usage, status_code=err.status_code)
            raise err from exc
        except BaseException:
            # Cancelled (activity cancel, deadline) or a bug: no verdict on the endpoint,
            # but a half-open probe slot must not stay taken forever.
            self.breaker.release()
            raise
        self.breaker.record_success()
        return self._content(completion, purpose=purpose, model=model, started=started)

    async def _create(
        self, model: str, messages: list[Message], response_format: ResponseFormat | None
    ) -> ChatCompletion:
        kwargs: dict[str, Any] = {}
        if response_format is not None:
            kwargs["response_format"] = response_format
        if self._max_completion_tokens is not None:
            kwargs["max_completion_tokens"] = self._max_completion_tokens
        # Optional arguments go through **kwargs, which hides the non-streaming overload.
        completion: ChatCompletion = await self._client.chat.completions.create(
            model=model,
            messages=cast("list[ChatCompletionMessageParam]", messages),
            **kwargs,
        )
        return completion

    def _content(
        self, completion: ChatCompletion, *, purpose: str, model: str, started: float
    ) -> tuple[str, LlmUsage]:
        choice = completion.choices[0] if completion.choices else None
        content = choice.message.content if choice is not None else None
        usage = self._usage(purpose, model, started, outcome="ok", completion=completion)
        if not content:
            refusal = choice.message.refusal if choice is not None else None
            reason = choice.finish_reason if choice is not None else "no choices"
            usage.outcome = LlmEmptyResponseError.code
            self._observe(usage, status_code=200)
            raise LlmEmptyResponseError(
                f"LLM returned no content (finish_reason={reason}"
                + (f", refusal={refusal!r})" if refusal else ")"),
                usage=usage,
            )
        if choice is not None and choice.finish_reason == "length":
            # Returned anyway: a truncated plan fails parsing and goes to the repair prompt.
            usage.outcome = "truncated"
        self._observe(usage, status_code=200, response_model=completion.model)
        return content, usage

    @staticmethod
    def _usage(
        purpose: str,
        model: str,
        started: float,
        *,
        outcome: str,
        completion: ChatCompletion | None = None,
    ) -> LlmUsage:
        tokens = completion.usage if completion is not None else None
        return LlmUsage(
            purpose=purpose,
            model=model,
            prompt_tokens=tokens.prompt_tokens if tokens else 0,
            completion_tokens=tokens.completion_tokens if tokens else 0,
            latency_ms=round((time.perf_counter() - started) * 1000.0, 1),
            attempts=1,
            outcome=outcome,
        )

    def _observe(
        self, usage: LlmUsage, *, status_code: int | None, response_model: str | None = None
    ) -> None:
        LLM_REQUESTS.labels(self.endpoint, usage.purpose, usage.outcome).inc()
        LLM_LATENCY.labels(self.endpoint, usage.purpose).observe(usage.latency_ms / 1000.0)
        LLM_TOKENS.labels(self.endpoint, "prompt").inc(usage.prompt_tokens)
        LLM_TOKENS.labels(self.endpoint, "completion").inc(usage.completion_tokens)
        log.info(
            "llm_call",
            endpoint=self.endpoint,
            purpose=usage.purpose,
            model=usage.model,
            response_model=response_model,
            outcome=usage.outcome,
            status_code=status_code,
            latency_ms=usage.latency_ms,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
