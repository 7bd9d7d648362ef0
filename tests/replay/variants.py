"""Workflow variants for the replay tests (own module: the sandbox imports it)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.context import ContextActivities
    from opsflow.contracts import WORKFLOW_NAME, ToolContext
    from opsflow.models import OpsRequest, OrchestrationResult
    from opsflow.names import ActivityName
    from opsflow.policies import DEFAULT_POLICIES

from workflows import OpsOrchestrationWorkflow
from workflows.options import activity_options


@workflow.defn(name=WORKFLOW_NAME)
class ReorderedWorkflow(OpsOrchestrationWorkflow):
    """An incompatible change: the tool context is loaded twice."""

    @workflow.run
    async def run(self, request: OpsRequest) -> OrchestrationResult:
        return await super().run(request)

    async def _tool_context(self, tenant_id: str) -> ToolContext:
        await super()._tool_context(tenant_id)
        return await super()._tool_context(tenant_id)


@workflow.defn(name=WORKFLOW_NAME)
class PatchedWorkflow(OpsOrchestrationWorkflow):
    """The same change, guarded: old histories take the old path."""

    @workflow.run
    async def run(self, request: OpsRequest) -> OrchestrationResult:
        return await super().run(request)

    async def _tool_context(self, tenant_id: str) -> ToolContext:
        if workflow.patched("reload-tool-context"):
            await workflow.execute_activity_method(
                ContextActivities.load_tool_context,
                **activity_options(DEFAULT_POLICIES[ActivityName.LOAD_TOOL_CONTEXT], None),
            )
        return await super()._tool_context(tenant_id)
