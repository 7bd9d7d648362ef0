"""Step states, the progress snapshot and the final answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from opsflow.models.blocks import Block
from opsflow.models.context import ContextUse
from opsflow.models.findings import Diagnosis, RootCause
from opsflow.names import Phase, StepReason


class Status(StrEnum):
    SUCCESS = "success"
    DEGRADED = "degraded"
    PARTIAL_SUCCESS = "partial_success"
    FAILURE = "failure"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # on the primary tool
    FALLBACK = "fallback"  # produced by a fallback tool
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # unknown capability or bad params: never scheduled


class FallbackDetails(BaseModel):
    reason: StepReason
    tool_attempted: str
    tool_used_fallback: str | None
    step_id: str | None = None
    error_code: str | None = None


class StepState(BaseModel):
    id: str
    capability: str
    tool: str | None = None
    status: StepStatus = StepStatus.PENDING
    depends_on: list[str] = Field(default_factory=list)
    attempts: int = 0
    tools_tried: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    error_code: str | None = None
    reason: StepReason | None = None
    detail: str = ""
    fallback: FallbackDetails | None = None
    row_count: int = 0
    claim_id: str | None = None
    # The queries the step's tool sent to a remote source (PromQL), for the UI.
    queries: list[str] = Field(default_factory=list)

    @property
    def has_result(self) -> bool:
        return self.status in (StepStatus.SUCCEEDED, StepStatus.FALLBACK)


class MissingItem(BaseModel):
    step_id: str
    reason: str
    detail: str = ""


class LlmUsage(BaseModel):
    purpose: str  # plan | repair | summary
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    attempts: int = 1
    outcome: str = "ok"


class Progress(BaseModel):
    phase: Phase
    steps: list[StepState] = Field(default_factory=list)
    planner: str | None = None


class OrchestrationResult(BaseModel):
    workflow_id: str
    tenant_id: str
    question: str
    status: Status
    error_code: str | None = None
    error_message: str | None = None
    planner: str = "rules"
    # What the plan understood (renderers answer per intent); None in earlier runs.
    intent: str | None = None
    reference_time: datetime | None = None
    summary: str = ""
    blocks: list[Block] = Field(default_factory=list)
    root_causes: list[RootCause] = Field(default_factory=list)
    # What the root-cause analysis came to (ranked, nothing anomalous, nothing judged, ...).
    diagnosis: Diagnosis | None = None
    steps: list[StepState] = Field(default_factory=list)
    fallbacks: list[FallbackDetails] = Field(default_factory=list)
    missing: list[MissingItem] = Field(default_factory=list)
    phase_timings_ms: dict[str, float] = Field(default_factory=dict)
    llm_usage: list[LlmUsage] = Field(default_factory=list)
    ui_url: str | None = None
    # The CI the plan was about (None for tenant-wide questions).
    focus_ci: str | None = None
    # Set on an answer given in an investigation thread: the thread workflow's id, the
    # turn's number and which of the thread's context the question used.
    thread_id: str | None = None
    turn: int | None = None
    context_used: ContextUse | None = None
