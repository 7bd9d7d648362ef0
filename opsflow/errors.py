"""One error hierarchy: every failure carries a stable code and says whether a retry can help.

Activities convert these to ``ApplicationError(type=code, non_retryable=not retryable)``
so Temporal's retry policy and the workflow's fallback logic both see the code.
"""

from __future__ import annotations

from typing import Any

from opsflow.names import ErrorCode


class AppError(Exception):
    code: str = ErrorCode.APP_ERROR
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
    code = ErrorCode.VALIDATION_ERROR


class TenantIsolationError(AppError):
    code = ErrorCode.TENANT_ISOLATION


class SqlBlocked(AppError):
    code = ErrorCode.SQL_BLOCKED


class DatabaseConnectionError(AppError):
    code = ErrorCode.CONNECTION_ERROR
    retryable = True


class ToolTimeoutError(AppError):
    code = ErrorCode.TIMEOUT
    retryable = True


class QueryTimeoutError(AppError):
    """LLM-written SQL ran out of its statement timeout: the same text would again."""

    code = ErrorCode.SQL_TIMEOUT


class QueryResourceError(AppError):
    """LLM-written SQL hit a resource bound (temporary files, memory, result bytes)."""

    code = ErrorCode.SQL_RESOURCE_LIMIT


class ToolExecutionError(AppError):
    code = ErrorCode.TOOL_EXECUTION_ERROR
    retryable = True


class ToolOutputError(AppError):
    """A tool returned output that does not match its schema: retrying returns the same."""

    code = ErrorCode.TOOL_OUTPUT_INVALID


class PlanningError(AppError):
    code = ErrorCode.PLANNING_ERROR


class LlmError(AppError):
    code = ErrorCode.LLM_ERROR
    retryable = True


class CircuitOpenError(AppError):
    code = ErrorCode.CIRCUIT_OPEN


class UnknownTenantError(ValidationError):
    code = ErrorCode.UNKNOWN_TENANT


class UnknownCiError(ValidationError):
    code = ErrorCode.UNKNOWN_CI
