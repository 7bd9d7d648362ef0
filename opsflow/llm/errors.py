"""LLM call failures, each with a stable code and an honest ``retryable`` flag.

All derive from ``opsflow.errors.LlmError`` so a generic ``AppError`` ->
``ApplicationError(type=code, non_retryable=not retryable)`` converter handles them;
``retry_after_s`` (from a 429's ``Retry-After``) is meant to become
``ApplicationError(next_retry_delay=timedelta(seconds=retry_after_s))``.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

from opsflow.errors import LlmError
from opsflow.models import LlmUsage
from opsflow.names import ErrorCode


class LlmCallError(LlmError):
    code = ErrorCode.LLM_UNAVAILABLE
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after_s: float | None = None,
        status_code: int | None = None,
        usage: LlmUsage | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_s = retry_after_s
        self.status_code = status_code
        # Latency and outcome of the failed attempt, so the answer can account for it.
        self.usage = usage


class LlmUnavailableError(LlmCallError):
    """5xx, connection refused/reset, 409: the endpoint may recover."""

    code = ErrorCode.LLM_UNAVAILABLE


class LlmTimeoutError(LlmCallError):
    code = ErrorCode.LLM_TIMEOUT


class LlmRateLimitedError(LlmCallError):
    code = ErrorCode.LLM_RATE_LIMITED


class LlmQuotaError(LlmCallError):
    """429 ``insufficient_quota``: billing, not load; waiting a few seconds will not help."""

    code = ErrorCode.LLM_QUOTA
    retryable = False


class LlmAuthError(LlmCallError):
    """401/403: a wrong or revoked key does not fix itself between retries."""

    code = ErrorCode.LLM_AUTH
    retryable = False


class LlmBadRequestError(LlmCallError):
    """400/404/422: the request (schema, model name, size) is wrong; resending it repeats that."""

    code = ErrorCode.LLM_BAD_REQUEST
    retryable = False


class LlmEmptyResponseError(LlmCallError):
    """The endpoint answered but with no content (no choices, refusal, content filter)."""

    code = ErrorCode.LLM_EMPTY_RESPONSE
    retryable = False


class LlmNotConfiguredError(LlmCallError):
    code = ErrorCode.LLM_NOT_CONFIGURED
    retryable = False


# A server asking for an hour's pause is not worth honouring inside one activity schedule.
MAX_RETRY_AFTER_S = 600.0


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    Returns None when absent or unparseable; clamps to [0, MAX_RETRY_AFTER_S].
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_tz(text)
            if parsed is None:
                return None
            seconds = email.utils.mktime_tz(parsed) - now()
        except (TypeError, ValueError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
