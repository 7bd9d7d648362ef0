"""Fake activities under the real activity names: each test scripts what they return.

A ``Script`` holds one behaviour per activity name (a result, or an error code to raise)
and records every call, so tests assert on what the workflow asked for, not only on what
it answered.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Interceptor, Worker

from opsflow.contracts import (
    PLANNER_LLM,
    AnalysisResult,
    PlanInput,
    PlanOutcome,
    SummaryInput,
    SummaryOutcome,
    ToolContext,
)
from opsflow.models import (
    AnalysisInput,
    CiRecord,
    Findings,
    OpsRequest,
    OrchestrationResult,
    Plan,
    PlanStep,
    ToolCall,
    ToolOutput,
)
from opsflow.names import ActivityName, Capability, ToolName
from opsflow.policies import DEFAULT_POLICIES
from workflows import OpsOrchestrationWorkflow

REFERENCE = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Fail:
    """Raise a non-retryable ``ApplicationError`` of ``code`` (retries would only slow the
    tier; the retry policy itself is Temporal's, tested by the integration tier)."""

    def __init__(self, code: str, message: str = "scripted failure") -> None:
        self.code = code
        self.message = message

    def raise_(self) -> None:
        raise ApplicationError(self.message, type=self.code, non_retryable=True)


@dataclass
class Script:
    plan: Plan | None = None
    plan_request: Fail | None = None
    rule_plan: Fail | None = None
    analyze: Fail | None = None
    summarize: Fail | None = None
    template_summary: Fail | None = None
    tool_context: Fail | None = None
    # Tool name -> failure; tools not named succeed with one CI record.
    tools: dict[str, Fail] = field(default_factory=dict)
    # Tool name -> exceptions raised by its successive attempts (then it succeeds): the
    # raw errors activity bodies raise, for the worker's interceptor to convert.
    raises: dict[str, list[BaseException]] = field(default_factory=dict)
    # Seconds each tool call takes (for ordering and concurrency tests).
    tool_delay_s: float = 0.0
    calls: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    active: int = 0
    max_active: int = 0

    def record(self, name: str, failure: Fail | None) -> None:
        self.calls.append(name)
        if failure is not None:
            failure.raise_()


def fake_activities(script: Script) -> list[Callable[..., Awaitable[Any]]]:
    @activity.defn(name=ActivityName.LOAD_TOOL_CONTEXT)
    async def load_tool_context(tenant_id: str | None = None) -> ToolContext:
        script.record(ActivityName.LOAD_TOOL_CONTEXT, script.tool_context)
        return ToolContext(policies=dict(DEFAULT_POLICIES))

    async def _plan(name: ActivityName, failure: Fail | None, request: PlanInput) -> PlanOutcome:
        script.record(name, failure)
        plan = script.plan or Plan(
            steps=[PlanStep(id="ci", capability=Capability.CI_SEARCH, params={"name": "api"})]
        )
        planner = PLANNER_LLM if name is ActivityName.PLAN_REQUEST else "rules"
        return PlanOutcome(plan=plan, planner=planner)

    @activity.defn(name=ActivityName.PLAN_REQUEST)
    async def plan_request(request: PlanInput) -> PlanOutcome:
        return await _plan(ActivityName.PLAN_REQUEST, script.plan_request, request)

    @activity.defn(name=ActivityName.RULE_PLAN)
    async def rule_plan(request: PlanInput) -> PlanOutcome:
        return await _plan(ActivityName.RULE_PLAN, script.rule_plan, request)

    @activity.defn(name=ActivityName.ANALYZE)
    async def analyze(request: AnalysisInput) -> AnalysisResult:
        script.record(ActivityName.ANALYZE, script.analyze)
        return AnalysisResult(findings=Findings(focus_ci=request.focus_ci))

    @activity.defn(name=ActivityName.SUMMARIZE)
    async def summarize(request: SummaryInput) -> SummaryOutcome:
        script.record(ActivityName.SUMMARIZE, script.summarize)
        return SummaryOutcome(text="llm summary", writer="llm")

    @activity.defn(name=ActivityName.TEMPLATE_SUMMARY)
    async def template_summary(request: SummaryInput) -> SummaryOutcome:
        script.record(ActivityName.TEMPLATE_SUMMARY, script.template_summary)
        return SummaryOutcome(text="template summary", writer="template")

    return [
        load_tool_context,
        plan_request,
        rule_plan,
        analyze,
        summarize,
        template_summary,
        *(_fake_tool(script, tool) for tool in ToolName),
    ]


def _fake_tool(script: Script, tool: ToolName) -> Callable[[ToolCall], Awaitable[ToolOutput]]:
    async def run(call: ToolCall) -> ToolOutput:
        script.tool_calls.append(call)
        script.active += 1
        script.max_active = max(script.max_active, script.active)
        try:
            if script.tool_delay_s:
                await asyncio.sleep(script.tool_delay_s)
            script.record(tool, script.tools.get(tool))
            pending = script.raises.get(tool)
            if pending:
                raise pending.pop(0)
        finally:
            script.active -= 1
        ci = CiRecord(id=call.step_id, name=f"{call.step_id}-ci", ci_type="service")
        return ToolOutput(tool=tool, step_id=call.step_id, cis=[ci], row_count=1)

    return activity.defn(name=tool)(run)


def step(
    sid: str, capability: str = Capability.CI_SEARCH, *depends_on: str, **extra: Any
) -> PlanStep:
    params = extra.pop("params", {"name": sid})
    return PlanStep(
        id=sid, capability=capability, params=params, depends_on=list(depends_on), **extra
    )


async def run_workflow(
    client: Client,
    script: Script,
    *,
    plan_override: Plan | None = None,
    max_parallel: int = 4,
    deadline_s: float = 30.0,
    interceptors: Sequence[Interceptor] = (),
) -> OrchestrationResult:
    """One run of the real workflow on a fresh task queue served by the fakes."""
    queue = f"wf-{uuid.uuid4().hex[:12]}"
    request = OpsRequest(
        question="why is api slow?",
        tenant_id="t_acme",
        reference_time=REFERENCE,
        deadline_s=deadline_s,
        max_parallel=max_parallel,
        plan_override=plan_override,
    )
    async with Worker(
        client,
        task_queue=queue,
        workflows=[OpsOrchestrationWorkflow],
        activities=fake_activities(script),
        interceptors=interceptors,
    ):
        return await client.execute_workflow(
            OpsOrchestrationWorkflow.run,
            request,
            id=f"wf-test-{uuid.uuid4().hex[:12]}",
            task_queue=queue,
        )


__all__ = ["Fail", "Script", "run_workflow", "step"]
