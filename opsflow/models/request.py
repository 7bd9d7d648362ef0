"""The request an operator sends: the single input of the orchestration workflow."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opsflow.models.context import ThreadContext
from opsflow.models.plan import Plan
from opsflow.tenant_id import TENANT_ID_PATTERN

MAX_QUESTION_CHARS = 2000


class OpsRequest(BaseModel):
    """Fields may be added with defaults; never renamed (recorded histories replay them)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    # Questions about the past: every window and baseline is relative to this instant.
    reference_time: datetime | None = None
    deadline_s: float = Field(default=60.0, gt=0, le=3600)
    max_parallel: int = Field(default=4, ge=1, le=64)
    # Require the LLM planner: an outage then degrades instead of silently using rules.
    require_llm: bool = False
    # A ready plan (tests, benchmarks, replays of a known investigation); skips planning.
    plan_override: Plan | None = None
    # Asked in an investigation thread: what earlier answers established (LLM planner input).
    thread_context: ThreadContext | None = None

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("question is blank")
        return stripped
