"""The ``ask`` update's validator rules, pure so they can be tested without a server."""

from __future__ import annotations

from enum import StrEnum

from opsflow.models.request import MAX_QUESTION_CHARS
from opsflow.models.thread import FollowUp
from opsflow.tenant_id import is_tenant_id


class RefusalCode(StrEnum):
    """Stable codes of a refused follow-up (the update's ``ApplicationError.type``)."""

    THREAD_CLOSED = "THREAD_CLOSED"
    TENANT_MISMATCH = "TENANT_MISMATCH"
    QUESTION_BLANK = "QUESTION_BLANK"
    QUESTION_TOO_LARGE = "QUESTION_TOO_LARGE"
    BAD_REQUEST = "VALIDATION_ERROR"
    THREAD_BUSY = "THREAD_BUSY"


MAX_DEADLINE_S = 3600.0
MAX_PARALLEL = 64


def followup_problem(
    follow_up: FollowUp, *, tenant_id: str, closed: bool, queued: int, max_queued: int
) -> tuple[RefusalCode, str] | None:
    """(code, reason) when the thread must refuse ``follow_up``; None when it may answer."""
    if closed:
        return RefusalCode.THREAD_CLOSED, "this investigation thread is closed"
    if not is_tenant_id(follow_up.tenant_id):
        return RefusalCode.BAD_REQUEST, f"tenant id {follow_up.tenant_id!r} is not valid"
    if follow_up.tenant_id != tenant_id:
        return (
            RefusalCode.TENANT_MISMATCH,
            f"the thread belongs to another tenant than {follow_up.tenant_id!r}",
        )
    question = follow_up.question.strip()
    if not question:
        return RefusalCode.QUESTION_BLANK, "question is blank"
    if len(question) > MAX_QUESTION_CHARS:
        return (
            RefusalCode.QUESTION_TOO_LARGE,
            f"question has {len(question)} characters (at most {MAX_QUESTION_CHARS})",
        )
    if not 0 < follow_up.deadline_s <= MAX_DEADLINE_S:
        return RefusalCode.BAD_REQUEST, f"deadline_s must be in (0, {MAX_DEADLINE_S:.0f}]"
    if not 1 <= follow_up.max_parallel <= MAX_PARALLEL:
        return RefusalCode.BAD_REQUEST, f"max_parallel must be in [1, {MAX_PARALLEL}]"
    if queued >= max_queued:
        return RefusalCode.THREAD_BUSY, f"{queued} follow-ups are already waiting on this thread"
    return None
