"""Map domain and driver errors to Temporal ApplicationErrors with stable types."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from temporalio.exceptions import ApplicationError

from opsflow.errors import (
    AppError,
    DatabaseConnectionError,
    ToolExecutionError,
    ToolTimeoutError,
)


def to_application_error(err: AppError) -> ApplicationError:
    retry_after = getattr(err, "retry_after_s", None)
    return ApplicationError(
        err.message,
        err.details if err.details is not None else None,
        type=err.code,
        non_retryable=not err.retryable,
        next_retry_delay=timedelta(seconds=retry_after) if retry_after else None,
    )


def from_database_error(err: BaseException) -> AppError:
    """Classify a driver failure: timeouts and lost connections are worth a retry."""
    if isinstance(err, asyncpg.QueryCanceledError):
        return ToolTimeoutError(f"statement cancelled: {err}")
    if isinstance(
        err,
        OSError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.AdminShutdownError
        | ConnectionError,
    ):
        return DatabaseConnectionError(f"database unavailable: {err}")
    return ToolExecutionError(f"database error: {err}")
