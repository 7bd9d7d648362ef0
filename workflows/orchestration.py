"""OpsOrchestrationWorkflow: plan -> resolve -> execute -> aggregate -> respond.

Only deterministic code: every side effect (LLM, database, stats) is an activity, time
is ``workflow.now()``, and the pure domain modules come through the sandbox pass-through.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.context import ContextActivities
    from opsflow.answer import build_answer
    from opsflow.catalog import default_registry
    from opsflow.contracts import WORKFLOW_NAME, SummaryInput, ToolContext
    from opsflow.models import (
        AnalysisInput,
        Findings,
        OpsRequest,
        OrchestrationResult,
        Progress,
        Status,
        StepState,
    )
    from opsflow.names import ActivityName, ErrorCode, Phase
    from opsflow.policies import DEFAULT_POLICIES
    from opsflow.resolution import plan_problems, resolve_plan
    from opsflow.search_attributes import OPS_ERROR, OPS_STATUS
    from opsflow.sources.routing import route_metric_tools

    # The phase helpers are deterministic modules of their own (workflow APIs only, no
    # module state): passed through as Temporal advises, so the sandbox re-imports only
    # this file for every run, not them (docs/DECISIONS.md, "Sandbox").
    from workflows.aggregation import aggregate_phase
    from workflows.execution import DataflowScheduler
    from workflows.failures import classify
    from workflows.options import run_phase_activity
    from workflows.planning import RequestRejected, plan_phase

# Patch id: from here a run that ends without an answer records why in ``OpsError``.
ERROR_ATTRIBUTE_PATCH = "ops-error-search-attribute"
# Runs started after this patch read the tenant's metric source with the tool context, so a
# tenant with a Prometheus source gets prometheus_query; earlier runs replay without it.
TENANT_METRIC_SOURCE = "tenant-metric-source"


@workflow.defn(name=WORKFLOW_NAME)
class OpsOrchestrationWorkflow:
    def __init__(self) -> None:
        self._phase: Phase = Phase.STARTING
        self._states: dict[str, StepState] = {}
        self._planner: str | None = None

    @workflow.query
    def progress(self) -> Progress:
        return Progress(phase=self._phase, steps=list(self._states.values()), planner=self._planner)

    @workflow.run
    async def run(self, request: OpsRequest) -> OrchestrationResult:
        started = workflow.now()
        deadline = started + timedelta(seconds=request.deadline_s)
        reference_time = request.reference_time or started
        timings: dict[str, float] = {}
        result = OrchestrationResult(
            workflow_id=workflow.info().workflow_id,
            tenant_id=request.tenant_id,
            question=request.question,
            status=Status.FAILURE,
            reference_time=reference_time,
        )

        self._phase = Phase.PLANNING
        mark = workflow.now()
        context = await self._tool_context(request.tenant_id)
        registry = route_metric_tools(default_registry(), context.metric_source).with_stats(
            context.stats
        )
        policies = context.policies
        try:
            planning = await plan_phase(
                request,
                reference_time,
                registry.catalog_text(),
                policies,
                _left(deadline),
                llm_configured=context.llm_configured,
            )
        except RequestRejected as rejected:
            return self._finish(result, rejected.info.code, rejected.info.message, timings)
        self._planner = result.planner = planning.outcome.planner
        result.llm_usage += planning.outcome.usage
        plan = planning.outcome.plan
        # Result fields only (no command): replay of older histories is unaffected.
        result.intent, result.focus_ci = plan.intent, plan.focus_ci
        timings["planning"] = _ms_since(mark)

        self._phase = Phase.RESOLUTION
        mark = workflow.now()
        problems = plan_problems(plan)
        if problems:
            return self._finish(result, ErrorCode.PLAN_INVALID, "; ".join(problems), timings)
        resolved = resolve_plan(plan, registry)
        self._states = {
            r.step.id: StepState(
                id=r.step.id, capability=r.step.capability, depends_on=r.step.depends_on
            )
            for r in resolved
        }
        timings["resolution"] = _ms_since(mark)

        self._phase = Phase.EXECUTION
        mark = workflow.now()
        scheduler = DataflowScheduler(
            tenant_id=request.tenant_id,
            reference_time=reference_time,
            resolved=resolved,
            policies=policies,
            states=self._states,
            max_parallel=request.max_parallel,
            deadline=deadline,
        )
        outputs = await scheduler.run()
        timings["execution"] = _ms_since(mark)

        self._phase = Phase.AGGREGATION
        mark = workflow.now()
        steps = list(self._states.values())
        aggregation = await aggregate_phase(
            AnalysisInput(
                tenant_id=request.tenant_id,
                question=request.question,
                focus_ci=plan.focus_ci,
                intent=plan.intent,
                reference_time=reference_time,
                outputs=outputs,
            ),
            SummaryInput(
                tenant_id=request.tenant_id,
                question=request.question,
                findings=Findings(focus_ci=plan.focus_ci),
                steps=steps,
                require_llm=request.require_llm,
                planner=self._planner,
                tokens_used=sum(u.prompt_tokens + u.completion_tokens for u in result.llm_usage),
            ),
            policies,
        )
        result.llm_usage += aggregation.summary.usage
        timings["aggregation"] = _ms_since(mark)

        self._phase = Phase.RESPONSE
        mark = workflow.now()
        answer = build_answer(
            steps=steps,
            outputs=outputs,
            analysis=aggregation.analysis,
            summary=aggregation.summary,
            extra_fallbacks=planning.fallbacks + aggregation.fallbacks,
        )
        result.status = answer.status
        result.summary = aggregation.summary.text
        result.blocks = answer.blocks
        result.missing = answer.missing
        result.fallbacks = answer.fallbacks
        result.root_causes = aggregation.analysis.findings.root_causes
        result.diagnosis = aggregation.analysis.findings.diagnosis
        result.steps = steps
        if result.status is Status.FAILURE:
            result.error_code = ErrorCode.NO_RESULTS
            result.error_message = "no step produced a result"
        timings["response"] = _ms_since(mark)
        timings["total"] = _ms_since(started)
        return self._finish(result, result.error_code, result.error_message, timings)

    async def _tool_context(self, tenant_id: str) -> ToolContext:
        """Observed tool stats, configured policies and (since TENANT_METRIC_SOURCE) the
        tenant's metric source, recorded in history for replay."""
        args = [tenant_id] if workflow.patched(TENANT_METRIC_SOURCE) else []
        try:
            # The configured policies arrive with this very call, so it runs on the
            # default one; the activity bounds its own work by the configured one.
            return await run_phase_activity(
                ContextActivities.load_tool_context,
                args,
                policies=DEFAULT_POLICIES,
                remaining_s=None,
                summary=ActivityName.LOAD_TOOL_CONTEXT,
                local=True,
            )
        except ActivityError as err:
            # Declared figures and default policies still make a sound plan.
            workflow.logger.warning("tool_context_unavailable", extra={"code": classify(err).code})
            return ToolContext(policies=dict(DEFAULT_POLICIES))

    def _finish(
        self,
        result: OrchestrationResult,
        code: str | None,
        message: str | None,
        timings: dict[str, float],
    ) -> OrchestrationResult:
        if code is not None and result.status is Status.FAILURE:
            result.error_code = code
            result.error_message = message
            if not result.summary:
                result.summary = f"No answer: {message} ({code})."
        result.phase_timings_ms = timings
        self._phase = Phase.DONE
        updates = [OPS_STATUS.value_set(result.status.value)]
        if result.error_code and workflow.patched(ERROR_ATTRIBUTE_PATCH):
            # Not a new command, but a new attribute in it: runs before the patch lack it.
            updates.append(OPS_ERROR.value_set(result.error_code))
        workflow.upsert_search_attributes(updates)
        return result


def _left(deadline: datetime) -> float:
    return max(0.0, (deadline - workflow.now()).total_seconds())


def _ms_since(mark: datetime) -> float:
    return round((workflow.now() - mark) / timedelta(milliseconds=1), 1)
