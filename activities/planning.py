"""Planning activities: ``plan_request`` (LLM, or rules when offline) and ``rule_plan``."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.resources import WorkerResources
from opsflow.contracts import PLANNER_RULES, PlanInput, PlanOutcome
from opsflow.db.session import tenant_session
from opsflow.errors import AppError, UnknownTenantError
from opsflow.names import ActivityName, ErrorCode
from opsflow.planner import CiInfo, rule_plan

log = structlog.get_logger(__name__)


class LlmDisabledError(AppError):
    code = ErrorCode.LLM_DISABLED


async def tenant_cis(res: WorkerResources, tenant_id: str) -> list[CiInfo]:
    """The tenant's CI names (planner context); an unknown tenant is a request error."""
    async with tenant_session(res.pool, tenant_id, statement_timeout_ms=5000) as conn:
        tenant = await conn.fetch("SELECT id FROM tenant WHERE id = $1", tenant_id)
        if not tenant:
            raise UnknownTenantError(f"unknown tenant {tenant_id!r}")
        rows = await conn.fetch(
            "SELECT name, ci_type FROM ci WHERE tenant_id = $1 ORDER BY name", tenant_id
        )
    return [CiInfo(name=r["name"], ci_type=r["ci_type"]) for r in rows]


class PlanningActivities:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @activity.defn(name=ActivityName.PLAN_REQUEST)
    async def plan_request(self, request: PlanInput) -> PlanOutcome:
        cis = await tenant_cis(self.res, request.tenant_id)
        if self.res.llm is None:
            if request.require_llm:
                raise LlmDisabledError("the LLM is required but no endpoint is configured")
            return self._rules(request, cis, offline=True)
        from activities.llm_planning import plan_with_llm

        return await plan_with_llm(self.res, request, cis)

    @activity.defn(name=ActivityName.RULE_PLAN)
    async def rule_plan(self, request: PlanInput) -> PlanOutcome:
        cis = await tenant_cis(self.res, request.tenant_id)
        return self._rules(request, cis, offline=False)

    @staticmethod
    def _rules(request: PlanInput, cis: list[CiInfo], *, offline: bool) -> PlanOutcome:
        plan = rule_plan(request.question, request.tenant_id, cis, request.reference_time)
        notes = ["no LLM configured: planned by rules"] if offline else []
        return PlanOutcome(plan=plan, planner=PLANNER_RULES, offline=offline, notes=notes)
