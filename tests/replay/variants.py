"""Workflow variants for the replay tests (own module: the sandbox imports it)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsflow.contracts import ToolContext
    from opsflow.models import OpsRequest, OrchestrationResult
    from opsflow.policies import DEFAULT_POLICIES

from workflows import OpsOrchestrationWorkflow
from workflows.options import activity_options


@workflow.defn(name="OpsOrchestrationWorkflow")
class ReorderedWorkflow(OpsOrchestrationWorkflow):
    """An incompatible change: the tool context is loaded twice."""

    @workflow.run
    async def run(self, request: OpsRequest) -> OrchestrationResult:
        return await super().run(request)

    async def _tool_context(self) -> ToolContext:
        await super()._tool_context()
        return await super()._tool_context()


@workflow.defn(name="OpsOrchestrationWorkflow")
class PatchedWorkflow(OpsOrchestrationWorkflow):
    """The same change, guarded: old histories take the old path."""

    @workflow.run
    async def run(self, request: OpsRequest) -> OrchestrationResult:
        return await super().run(request)

    async def _tool_context(self) -> ToolContext:
        if workflow.patched("reload-tool-context"):
            await workflow.execute_activity(
                "load_tool_context",
                result_type=ToolContext,
                **activity_options(DEFAULT_POLICIES["tool_stats_snapshot"], None),
            )
        return await super()._tool_context()
