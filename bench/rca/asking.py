"""Ask every case through the real workflow on the in-process worker and read its ranking.

A case is one ``OpsRequest`` with ``reference_time`` = the case's ``at``. Without plan
params the workflow plans by itself (offline rule planner, exactly what ``client.py ask``
does). With ``PlanParams`` the same rule planner builds the plan and only the metric
steps' window/history are changed; it is sent as ``plan_override``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from temporalio.client import Client, WorkflowFailureError

from bench.common import progress
from bench.rca.observed import Observed, claim_loader, observe
from bench.rca.scoring import Case, Outcome
from opsflow.db.pool import create_pool
from opsflow.models import OpsRequest, OrchestrationResult, Plan, StepState
from opsflow.planner import CiInfo, rule_plan
from opsflow.settings import Settings
from opsflow_app.client.questions import start

ASK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class PlanParams:
    """Metric window and history the rule planner is asked to use (None: its default)."""

    window_minutes: int | None = None
    history_hours: int | None = None
    metrics: tuple[str, ...] = ()  # empty: every metric the CIs have

    @property
    def is_default(self) -> bool:
        return self.window_minutes is None and self.history_hours is None and not self.metrics

    def describe(self) -> dict[str, object]:
        return {
            "plan": "workflow's own planning (rule planner)"
            if self.is_default
            else "plan_override = rule_plan(...) with these metric-step params",
            "window_minutes": self.window_minutes or "planner default",
            "history_hours": self.history_hours or "planner default",
            "metrics": list(self.metrics) or "all",
        }


def planned(case: Case, cis: list[CiInfo], params: PlanParams) -> Plan | None:
    if params.is_default:
        return None
    plan = rule_plan(case.question, case.tenant, cis, case.at)
    for step in plan.steps:
        if step.capability != "metric_timeseries":
            continue
        if params.window_minutes is not None:
            step.params["window_minutes"] = params.window_minutes
        if params.history_hours is not None:
            step.params["history_hours"] = params.history_hours
        if params.metrics:
            step.params["metrics"] = list(params.metrics)
    return plan


async def tenant_inventory(dsn: str, tenants: list[str]) -> dict[str, list[CiInfo]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT tenant_id, name, ci_type FROM ci WHERE tenant_id = ANY($1::text[])"
            " ORDER BY tenant_id, name",
            tenants,
        )
    finally:
        await conn.close()
    out: dict[str, list[CiInfo]] = {t: [] for t in tenants}
    for r in rows:
        out[r["tenant_id"]].append(CiInfo(name=r["name"], ci_type=r["ci_type"]))
    return out


def named_cis(result: OrchestrationResult) -> set[str]:
    """Every CI the answer names as a candidate or in a candidate's evidence."""
    names = {rc.ci for rc in result.root_causes}
    names |= {ev.ci for rc in result.root_causes for ev in rc.evidence if ev.ci}
    return names


def foreign_mentions(text: str, own: set[str], others: set[str]) -> list[str]:
    """Names of other tenants' CIs (that this tenant lacks) appearing in ``text``."""
    found = []
    for name in sorted(others - own):
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            found.append(name)
    return found


def outcome_of(
    case: Case, result: OrchestrationResult, own: set[str], others: set[str], seconds: float
) -> Outcome:
    leaked = sorted(named_cis(result) - own)
    leaked += [n for n in foreign_mentions(result.summary, own, others) if n not in leaked]
    top = result.root_causes[0].evidence if result.root_causes else []
    return Outcome(
        case=case,
        ranking=[rc.ci for rc in result.root_causes],
        scores=[rc.score for rc in result.root_causes],
        status=str(result.status),
        error=result.error_code,
        leaked=leaked,
        top_evidence=[e.description for e in top[:4]],
        seconds=seconds,
        diagnosis=result.diagnosis.model_dump(mode="json") if result.diagnosis else None,
    )


def with_peers(out: Outcome, seen: Observed) -> None:
    out.peers = seen.peer_rankings()
    out.baro_series = seen.baro_top_series()
    out.change_events = seen.change_events
    out.reads = seen.metric_notes()
    if seen.findings is not None:
        out.notes = list(seen.findings.notes)


async def ask_all(
    client: Client,
    settings: Settings,
    cases: list[Case],
    *,
    params: Callable[[Case], PlanParams],
    concurrency: int = 8,
    label: str = "",
) -> list[Outcome]:
    """Every case once, ``concurrency`` workflows in flight; order of ``cases`` is kept.

    A question that times out or whose workflow fails is an outcome with an error (a miss);
    anything else raised (server unreachable) propagates and ends the whole evaluation.
    The peer rankers run on the tool results in each workflow's history (``observed``).
    """
    tenants = sorted({c.tenant for c in cases})
    inventory = await tenant_inventory(settings.db_dsn or "", tenants)
    names = {t: {ci.name for ci in cis} for t, cis in inventory.items()}
    everyone = set().union(*names.values()) if names else set()
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(case: Case) -> Outcome:
        nonlocal done
        async with gate:
            plan = planned(case, inventory[case.tenant], params(case))
            request = OpsRequest(
                question=case.question,
                tenant_id=case.tenant,
                reference_time=case.at,
                plan_override=plan,
            )
            began = time.perf_counter()
            steps: list[StepState] | None = None  # the workflow's own record, when it answered
            handle = await start(client, request, settings)
            try:
                result = await asyncio.wait_for(handle.result(), timeout=ASK_TIMEOUT_S)
            except (TimeoutError, WorkflowFailureError) as err:
                # Recorded as a miss with its cause; the other questions go on.
                out = Outcome(
                    case=case,
                    status="failure",
                    error=type(err).__name__,
                    seconds=time.perf_counter() - began,
                )
            else:
                out = outcome_of(
                    case, result, names[case.tenant], everyone, time.perf_counter() - began
                )
                steps = result.steps
            # Whatever the workflow read, even when it failed later: the peers get the same.
            seen = await observe(handle, client.data_converter, claims, case.tenant)
            with_peers(out, seen)
            if steps is not None:
                out.inputs_verified = seen.agrees_with(steps)
        done += 1
        if done % 20 == 0 or done == len(cases):
            progress(f"{label}: {done}/{len(cases)} questions answered")
        return out

    pool = await create_pool(settings.db_dsn or "", min_size=1, max_size=max(2, concurrency))
    claims = claim_loader(pool)
    try:
        return list(await asyncio.gather(*(one(c) for c in cases)))
    finally:
        await pool.close()
