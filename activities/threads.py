"""``resolve_followup``: a thread's follow-up words -> CI names, with the tenant's catalog.

The rules are pure (opsflow.threads.resolve); this activity only reads what they need: the
tenant's CI names and what the CIs a pronoun can point at depend on.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from temporalio import activity

from activities.planning import tenant_cis
from activities.resources import WorkerResources
from opsflow.db.session import tenant_session
from opsflow.models.thread import ResolveInput, ResolveOutcome
from opsflow.names import ActivityName
from opsflow.planner import CiInfo
from opsflow.planner.intents import find_ci
from opsflow.threads import UnresolvedReference, resolve_question

log = structlog.get_logger(__name__)

_DEPENDENCIES = """
SELECT s.name AS owner, t.name, t.ci_type
  FROM ci_relation r
  JOIN ci s ON s.tenant_id = $1 AND s.id = r.source_id
  JOIN ci t ON t.tenant_id = $1 AND t.id = r.target_id
 WHERE r.tenant_id = $1 AND s.name = ANY($2::text[])
 ORDER BY t.name
"""
STATEMENT_TIMEOUT_MS = 5000


class ThreadActivities:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @activity.defn(name=ActivityName.RESOLVE_FOLLOWUP)
    async def resolve_followup(self, request: ResolveInput) -> ResolveOutcome:
        cis = await tenant_cis(self.res, request.tenant_id)
        names = [c.name for c in cis]
        owners = [
            n for n in (request.context.focus_ci, find_ci(request.question, names)) if n is not None
        ]
        dependencies = await self._dependencies(request.tenant_id, owners)
        try:
            resolution = resolve_question(
                request.question,
                request.context,
                ci_names=names,
                dependencies=dependencies,
                reference_time=request.reference_time,
                pinned=request.pinned,
            )
        except UnresolvedReference as err:
            log.info("followup_unresolved", tenant_id=request.tenant_id, code=err.code)
            return ResolveOutcome(
                question=request.question, error_code=err.code, error_message=err.message
            )
        return ResolveOutcome(
            question=resolution.question, focus_ci=resolution.focus_ci, used=resolution.used
        )

    async def _dependencies(self, tenant_id: str, owners: Sequence[str]) -> dict[str, list[CiInfo]]:
        found: dict[str, list[CiInfo]] = {name: [] for name in owners}
        if not owners:
            return found
        async with tenant_session(
            self.res.pool, tenant_id, statement_timeout_ms=STATEMENT_TIMEOUT_MS
        ) as conn:
            rows = await conn.fetch(_DEPENDENCIES, tenant_id, list(owners))
        for row in rows:
            found[row["owner"]].append(CiInfo(name=row["name"], ci_type=row["ci_type"]))
        return found
