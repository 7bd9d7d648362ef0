from __future__ import annotations

import email.utils

import pytest

from opsflow.errors import AppError, LlmError
from opsflow.llm import (
    LlmAuthError,
    LlmBadRequestError,
    LlmEmptyResponseError,
    LlmNotConfiguredError,
    LlmQuotaError,
    LlmRateLimitedError,
    LlmTimeoutError,
    LlmUnavailableError,
    parse_retry_after,
)
from opsflow.llm.errors import MAX_RETRY_AFTER_S

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 1.5 ", 1.5),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),  # already past: retry now
        ("-4", 0.0),
        ("999999", MAX_RETRY_AFTER_S),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=lambda: NOW) == expected


def test_codes_and_retryability() -> None:
    retryable = (LlmUnavailableError, LlmTimeoutError, LlmRateLimitedError)
    final = (
        LlmAuthError,
        LlmQuotaError,
        LlmBadRequestError,
        LlmEmptyResponseError,
        LlmNotConfiguredError,
    )
    for cls in (*retryable, *final):
        err = cls("x")
        assert isinstance(err, LlmError) and isinstance(err, AppError)
        assert err.retryable is (cls in retryable)
        assert err.retry_after_s is None
    # Retryable LLM codes must never collide with a final code.
    assert not {c.code for c in retryable} & {c.code for c in final}
