"""One error hierarchy: every failure carries a stable code and says whether a retry can help.

Activities convert these to ``ApplicationError(type=code, non_retryable=not retryable)``
so Temporal's retry policy and the workflow's fallback logic both see the code.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    code: str = "APP_ERROR"
    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationError(AppError):
    code = "VALIDATION_ERROR"


class TenantIsolationError(AppError):
    code = "TENANT_ISOLATION"


class SqlBlocked(AppError):
    code = "SQL_BLOCKED"


class DatabaseConnectionError(AppError):
    code = "CONNECTION_ERROR"
    retryable = True


class ToolTimeoutError(AppError):
    code = "TIMEOUT"
    retryable = True


class QueryTimeoutError(AppError):
    """LLM-written SQL ran out of its statement timeout: the same text would again."""

    code = "SQL_TIMEOUT"


class QueryResourceError(AppError):
    """LLM-written SQL hit a resource bound (temporary files, memory, result bytes)."""

    code = "SQL_RESOURCE_LIMIT"


class ToolExecutionError(AppError):
    code = "TOOL_EXECUTION_ERROR"
    retryable = True


class ToolOutputError(AppError):
    """A tool returned output that does not match its schema: retrying returns the same."""

    code = "TOOL_OUTPUT_INVALID"


class PlanningError(AppError):
    code = "PLANNING_ERROR"


class LlmError(AppError):
    code = "LLM_ERROR"
    retryable = True


class CircuitOpenError(AppError):
    code = "CIRCUIT_OPEN"


class UnknownTenantError(ValidationError):
    code = "UNKNOWN_TENANT"


class UnknownCiError(ValidationError):
    code = "UNKNOWN_CI"


# Error types that no retry can fix; used in every tool's RetryPolicy.
NON_RETRYABLE_CODES: tuple[str, ...] = (
    ValidationError.code,
    UnknownTenantError.code,
    UnknownCiError.code,
    TenantIsolationError.code,
    SqlBlocked.code,
    QueryTimeoutError.code,
    QueryResourceError.code,
    ToolOutputError.code,
    PlanningError.code,
    CircuitOpenError.code,
)
