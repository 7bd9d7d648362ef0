"""The investigation thread's contract: its start input, a follow-up, and what it shows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from opsflow.models.context import ContextUse, ThreadContext
from opsflow.models.result import Status

THREAD_WORKFLOW_NAME = "InvestigationThreadWorkflow"
# Turn records carried through continue-as-new (older ones live in earlier runs' histories).
MAX_TURN_RECORDS = 50
MAX_RECORDED_QUESTION_CHARS = 200


class ThreadStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    REQUESTED = "requested"
    IDLE = "idle"


class ThreadLimits(BaseModel):
    # Defaults: see docs/DECISIONS.md ("Investigation threads").
    idle_timeout_s: float = Field(default=3600.0, gt=0)
    max_turns_per_run: int = Field(default=10, ge=1)
    max_history_bytes: int = Field(default=4_000_000, ge=10_000)
    # Follow-ups admitted while one is answered; more are refused (THREAD_BUSY).
    max_queued: int = Field(default=4, ge=1)


class TurnRecord(BaseModel):
    turn: int
    question: str
    workflow_id: str | None  # the orchestration child; None when no child ran
    status: Status
    focus_ci: str | None = None


class ThreadStart(BaseModel):
    """Input of every run: the first has defaults, a continued run carries the thread."""

    tenant_id: str
    limits: ThreadLimits = Field(default_factory=ThreadLimits)
    context: ThreadContext = Field(default_factory=ThreadContext)
    turn: int = 0
    turns: list[TurnRecord] = Field(default_factory=list)
    run_number: int = 1
    created_at: datetime | None = None


class FollowUp(BaseModel):
    """One question on a thread (the ``ask`` update). Checked by the update's validator,
    so a bad one is refused with a code instead of failing to decode."""

    question: str
    tenant_id: str
    at: datetime | None = None
    deadline_s: float = 60.0
    max_parallel: int = 4
    require_llm: bool = False


class CloseRequest(BaseModel):
    reason: str = ""


class ThreadView(BaseModel):
    """The ``state`` query and the thread's result when it ends."""

    thread_id: str
    tenant_id: str
    status: ThreadStatus
    close_reason: CloseReason | None = None
    turn: int
    run_number: int
    context: ThreadContext
    turns: list[TurnRecord] = Field(default_factory=list)
    # Workflow id of the orchestration answering right now (the client's progress bar).
    answering: str | None = None
    created_at: datetime | None = None


class ResolveInput(BaseModel):
    """Input of ``resolve_followup``: the question, the context, this question's instant."""

    tenant_id: str
    question: str
    context: ThreadContext
    reference_time: datetime
    pinned: bool = False


class ResolveOutcome(BaseModel):
    question: str
    focus_ci: str | None = None
    used: ContextUse | None = None
    # A reference the context cannot resolve: the turn is answered with this failure.
    error_code: str | None = None
    error_message: str | None = None
