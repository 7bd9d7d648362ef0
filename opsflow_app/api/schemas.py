"""The API's request and response bodies (the wire contract; snake_case, typed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from opsflow.models import Progress, Status
from opsflow.models.request import MAX_QUESTION_CHARS


class AskBody(BaseModel):
    """``POST /v1/questions`` and ``POST /v1/threads/{id}/questions``. No tenant field:
    the tenant is the API key's."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    # ISO 8601 or unix seconds; naive times are UTC (as the CLI's --at).
    at: datetime | None = None
    deadline_s: float = Field(default=60.0, gt=0, le=3600)


class Links(BaseModel):
    self: str
    events: str
    page: str
    temporal_ui: str


class Accepted(BaseModel):
    workflow_id: str
    links: Links


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"


class Pending(BaseModel):
    """``GET /v1/questions/{id}`` while the workflow runs (HTTP 202)."""

    workflow_id: str
    state: RunState = RunState.RUNNING
    progress: Progress
    links: Links


class ListedQuestion(BaseModel):
    workflow_id: str
    question: str | None
    status: str | None  # an OpsStatus value, or "running"
    started: datetime
    execution: str | None
    links: Links


class ListFilter(StrEnum):
    """``?status=``: one of the four answer statuses, or still running."""

    SUCCESS = Status.SUCCESS.value
    DEGRADED = Status.DEGRADED.value
    PARTIAL_SUCCESS = Status.PARTIAL_SUCCESS.value
    FAILURE = Status.FAILURE.value
    RUNNING = "running"


class ThreadLinks(BaseModel):
    questions: str
    temporal_ui: str


class ThreadCreated(BaseModel):
    """``POST /v1/threads`` (HTTP 201): ask follow-ups at ``links.questions``."""

    thread_id: str
    tenant_id: str
    links: ThreadLinks
