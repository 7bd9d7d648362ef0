"""The API's error body ``{"error": CODE, "message": ...}`` and the HTTP status of each code.

Codes are the project's (opsflow.errors) plus the few only HTTP has (401, 413, 429).
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsflow.errors import (
    AppError,
    CircuitOpenError,
    DatabaseConnectionError,
    TenantIsolationError,
    ToolTimeoutError,
    UnknownCiError,
    UnknownTenantError,
    ValidationError,
)
from opsflow.threads.validate import RefusalCode
from opsflow_app.client.errors import ClientCode


class ApiCode(StrEnum):
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    TEMPORAL_UNAVAILABLE = "TEMPORAL_UNAVAILABLE"
    WORKFLOW_FAILED = "WORKFLOW_FAILED"
    WORKFLOW_CANCELLED = "WORKFLOW_CANCELLED"
    HTTP_ERROR = "HTTP_ERROR"


STATUS_BY_CODE: dict[str, int] = {
    ValidationError.code: 422,
    UnknownTenantError.code: 422,
    UnknownCiError.code: 422,
    # Another tenant's resource is "not found": a 403 would confirm it exists.
    TenantIsolationError.code: 404,
    DatabaseConnectionError.code: 503,
    CircuitOpenError.code: 503,
    ToolTimeoutError.code: 504,
    ApiCode.UNAUTHORIZED: 401,
    ApiCode.NOT_FOUND: 404,
    ApiCode.BODY_TOO_LARGE: 413,
    ApiCode.RATE_LIMITED: 429,
    ApiCode.TEMPORAL_UNAVAILABLE: 503,
    ApiCode.WORKFLOW_FAILED: 500,
    ApiCode.WORKFLOW_CANCELLED: 409,
    # Investigation threads: the thread's own state is a conflict, the question's faults 422.
    ClientCode.THREAD_NOT_FOUND: 404,
    ClientCode.NOT_A_THREAD: 404,
    ClientCode.UPDATE_FAILED: 500,
    RefusalCode.THREAD_CLOSED: 409,
    RefusalCode.THREAD_BUSY: 409,
    RefusalCode.TENANT_MISMATCH: 403,
    RefusalCode.QUESTION_BLANK: 422,
    RefusalCode.QUESTION_TOO_LARGE: 422,
}


class ApiError(AppError):
    """An AppError that carries its own HTTP status (derived from the code by default)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status or STATUS_BY_CODE.get(code, 500)
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def status_for(err: AppError) -> int:
    if isinstance(err, ApiError):
        return err.status
    return STATUS_BY_CODE.get(err.code, 500)


async def on_app_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, AppError)
    headers = err.headers if isinstance(err, ApiError) else None
    return error_response(status_for(err), err.code, err.message, headers)


def _where(error: dict[str, object]) -> str:
    """``question`` for a body field, ``body`` for a body that is not JSON at all (whose
    ``loc`` ends in a character offset, not a field), ``query.status`` for a parameter."""
    loc = error.get("loc") or ()
    assert isinstance(loc, tuple | list)
    if error.get("type") == "json_invalid":
        return "body"
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if parts[:1] == ["body"] and len(parts) > 1 else parts)


async def on_validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = "; ".join(f"{_where(e)}: {e.get('msg')}" for e in err.errors())
    return error_response(422, ValidationError.code, problems or "invalid request")


async def on_http_error(request: Request, err: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method) in the same body shape."""
    assert isinstance(err, StarletteHTTPException)
    code = ApiCode.NOT_FOUND if err.status_code == 404 else ApiCode.HTTP_ERROR
    return error_response(err.status_code, code, str(err.detail), dict(err.headers or {}))
