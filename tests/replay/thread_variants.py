"""An incompatible thread workflow for the replay tests (own module: the sandbox imports it)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsflow.models.thread import THREAD_WORKFLOW_NAME, FollowUp, ResolveOutcome, ThreadView
    from opsflow.models.thread import ThreadStart as ThreadStart

from workflows.thread import InvestigationThreadWorkflow


@workflow.defn(name=THREAD_WORKFLOW_NAME)
class UnresolvedThreadWorkflow(InvestigationThreadWorkflow):
    """Asks the question as typed: no ``resolve_followup`` activity before the child."""

    @workflow.run
    async def run(self, start: ThreadStart) -> ThreadView:
        return await super().run(start)

    async def _resolve(
        self, follow_up: FollowUp, reference: datetime, *, pinned: bool
    ) -> ResolveOutcome:
        return ResolveOutcome(question=follow_up.question)
