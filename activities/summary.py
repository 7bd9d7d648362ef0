"""Summary activities: ``summarize`` (LLM narrative, or the template offline) and
``template_summary`` (the fallback)."""

from __future__ import annotations

from temporalio import activity

from activities.planning import LlmDisabledError
from activities.resources import WorkerResources
from opsflow.contracts import SummaryInput, SummaryOutcome
from opsflow.names import ActivityName
from opsflow.summary import template_summary


class SummaryActivities:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @activity.defn(name=ActivityName.SUMMARIZE)
    async def summarize(self, request: SummaryInput) -> SummaryOutcome:
        if self.res.llm is None:
            if request.require_llm:
                raise LlmDisabledError("the LLM is required but no endpoint is configured")
            return _template(request, offline=True)
        from activities.llm_summary import summarize_with_llm

        return await summarize_with_llm(self.res, request)

    @activity.defn(name=ActivityName.TEMPLATE_SUMMARY)
    async def template_summary(self, request: SummaryInput) -> SummaryOutcome:
        return _template(request, offline=False)


def _template(request: SummaryInput, *, offline: bool) -> SummaryOutcome:
    text = template_summary(request.question, request.findings, request.steps)
    return SummaryOutcome(text=text, writer="template", offline=offline)
