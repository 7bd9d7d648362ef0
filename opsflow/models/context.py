"""What an investigation thread remembers between questions, and what one answer used of it.

Pure models shared by the thread workflow, the planner and the client. Fields may be added
with defaults, never renamed: recorded thread histories replay them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

# Bounds that keep a long thread's context (carried through continue-as-new) small.
MAX_CONTEXT_CIS = 20
MAX_CONTEXT_FINDINGS = 10


class ReferenceKind(StrEnum):
    FOCUS = "focus"  # "it", "the same service"
    DEPENDENCY = "dependency"  # "its database"
    ROOT_CAUSE = "root_cause"  # "the root cause"
    SINCE = "since"  # "since then"


class ThreadContext(BaseModel):
    """The state of an investigation after its last answer."""

    focus_ci: str | None = None
    # CIs the answers established (focus and ranked causes), most recent first.
    cis: list[str] = Field(default_factory=list)
    # One line per established finding, most recent first ("payments-db: latency_p95 ...").
    findings: list[str] = Field(default_factory=list)
    last_root_cause: str | None = None
    # Reference time of the last answer: "since then" counts from here.
    reference_time: datetime | None = None
    # Set by a question asked with --at: later follow-ups stay in that past.
    pinned_at: datetime | None = None

    @property
    def established(self) -> bool:
        """Whether an earlier answer established anything (a first question has nothing)."""
        return self.reference_time is not None


class Substitution(BaseModel):
    phrase: str
    value: str
    kind: ReferenceKind


class ContextUse(BaseModel):
    """Which context one answer used: the words resolved and the question actually asked."""

    original_question: str
    asked_question: str
    focus_before: str | None = None
    substitutions: list[Substitution] = Field(default_factory=list)
    reference_time: datetime | None = None
    # Resolution ran without the tenant's catalog (its activity failed): rules on text only.
    catalog_unavailable: bool = False
