"""Stable codes of what a client call can be refused with (besides the thread validator's
own ``RefusalCode``, which reaches the client unchanged)."""

from __future__ import annotations

from enum import StrEnum

from opsflow.errors import AppError


class ClientCode(StrEnum):
    THREAD_NOT_FOUND = "THREAD_NOT_FOUND"
    NOT_A_THREAD = "NOT_A_THREAD"
    TEMPORAL_UNAVAILABLE = "TEMPORAL_UNAVAILABLE"
    UPDATE_FAILED = "UPDATE_FAILED"


class ClientError(AppError):
    """A refused client call; ``code`` is a ClientCode, a RefusalCode or VALIDATION_ERROR."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
