"""Turn an activity failure into a fallback reason and a stable error code."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
)

_REASON_BY_CODE = {
    "SQL_BLOCKED": "sql_blocked",
    "TIMEOUT": "primary_timeout",
    "CIRCUIT_OPEN": "circuit_open",
    "TOOL_OUTPUT_INVALID": "invalid_output",
    "LLM_DISABLED": "llm_disabled",
    "LLM_BUDGET": "budget_exhausted",
    "LLM_TIMEOUT": "llm_timeout",
    "LLM_UNAVAILABLE": "llm_error",
    "LLM_RATE_LIMITED": "llm_rate_limited",
    "PLAN_INVALID": "invalid_plan",
    "UNKNOWN_CI": "unknown_ci",
    "UNKNOWN_TENANT": "unknown_tenant",
}


@dataclass(frozen=True)
class FailureInfo:
    reason: str
    code: str
    message: str


def classify(err: BaseException) -> FailureInfo:
    cause = err.cause if isinstance(err, ActivityError) and err.cause is not None else err
    if isinstance(cause, TimeoutError):
        kind = cause.type.name.lower() if cause.type else "activity"
        return FailureInfo("primary_timeout", "TIMEOUT", f"{kind} timeout")
    if isinstance(cause, CancelledError):
        return FailureInfo("cancelled", "CANCELLED", "cancelled")
    if isinstance(cause, ApplicationError):
        code = cause.type or "TOOL_EXECUTION_ERROR"
        return FailureInfo(_REASON_BY_CODE.get(code, "primary_error"), code, cause.message)
    return FailureInfo("primary_error", "TOOL_EXECUTION_ERROR", str(cause))
