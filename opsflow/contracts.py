"""Inputs and outputs of the non-tool activities, and the names everyone agrees on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from opsflow.models import Findings, LlmUsage, MetricSeries, Plan, StepState, ThreadContext
from opsflow.policies import ToolPolicy
from opsflow.registry import ToolStats
from opsflow.sources.routing import MetricSource

TASK_QUEUE = "opsflow"
WORKFLOW_NAME = "OpsOrchestrationWorkflow"

PLANNER_LLM = "llm"
PLANNER_RULES = "rules"
PLANNER_OVERRIDE = "given"


class PlanInput(BaseModel):
    tenant_id: str
    question: str
    reference_time: datetime
    require_llm: bool = False
    # The catalog as the registry (with observed stats) shows it to the planner.
    catalog_json: str = ""
    # Asked in an investigation thread: what earlier answers established.
    thread_context: ThreadContext | None = None


class PlanOutcome(BaseModel):
    plan: Plan
    planner: str
    # True when no LLM is configured: rules by design, not by failure.
    offline: bool = False
    usage: list[LlmUsage] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class AnalysisResult(BaseModel):
    findings: Findings
    # Bounded previews for the answer's blocks (history never carries raw scans).
    key_series: list[MetricSeries] = Field(default_factory=list)
    graph_nodes: list[str] = Field(default_factory=list)
    graph_edges: list[tuple[str, str]] = Field(default_factory=list)


class SummaryInput(BaseModel):
    tenant_id: str
    question: str
    findings: Findings
    steps: list[StepState] = Field(default_factory=list)
    require_llm: bool = False
    planner: str = PLANNER_RULES
    # LLM tokens this request already spent (OPSFLOW_LLM_MAX_TOKENS is per request).
    tokens_used: int = 0


class SummaryOutcome(BaseModel):
    text: str
    writer: str  # llm | template
    offline: bool = False
    usage: list[LlmUsage] = Field(default_factory=list)


class ToolContext(BaseModel):
    """What the worker's configuration and observations say about the tools, for one run."""

    stats: list[ToolStats] = Field(default_factory=list)
    policies: dict[str, ToolPolicy] = Field(default_factory=dict)
    # The run's tenant's metric source (histories before it: the database, as they ran).
    metric_source: MetricSource = Field(default_factory=MetricSource)
    # Whether the worker that loaded this context has an LLM client: without one, planning
    # is a short database read plus rules and runs as a local activity on that same worker.
    # None in histories recorded before it (they planned with ordinary activities).
    llm_configured: bool | None = None
