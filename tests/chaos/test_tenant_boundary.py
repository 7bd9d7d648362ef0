"""The tenant boundary under every tool, primaries and fallbacks, through a worker process.

A request for t_acme runs each capability as wide open as its parameters allow (CI search
with no filter, events with no CI, a deep two-way topology walk, SQL that names another
tenant or no tenant at all), then again with tables locked so the fallback tools answer.
Nothing of t_globex may come back: no CI name or id, no event, no row, neither in the
answer nor in any tool result recorded in history (nor in a claim-checked result).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client

from opsflow.models import OrchestrationResult, Plan, PlanStep, Status, StepStatus, ToolOutput
from tests.chaos.conftest import ChaosStack, new_task_queue
from tests.chaos.history import activity_runs, tool_outputs
from tests.support.faults import table_locked
from tests.support.harness import ask, start_question
from tests.support.processes import log_tail, worker_process

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

RETRY_FAST = {"maximum_attempts": 2, "initial_interval_s": 0.2, "max_interval_s": 0.5}
POLICIES = {
    "metric_query": {
        "heartbeat_timeout_s": 1,
        "start_to_close_s": 6,
        "schedule_to_close_s": 15,
        **RETRY_FAST,
    },
    "topology_traverse": {"start_to_close_s": 1.5, "schedule_to_close_s": 8, **RETRY_FAST},
}
ACME_CIS = ["checkout-api", "payments-api", "payments-db"]
# SQL the LLM might write to reach across: each must be blocked before any connection.
CROSS_TENANT_SQL = {
    "sql_other_tenant": "SELECT name FROM ci WHERE tenant_id = 't_globex'",
    "sql_no_filter": "SELECT name, tenant_id FROM ci",
    "sql_or_bypass": "SELECT name FROM ci WHERE tenant_id = 't_acme' OR tenant_id = 't_globex'",
    "sql_union": (
        "SELECT name FROM ci WHERE tenant_id = 't_acme'"
        " UNION SELECT name FROM ci WHERE tenant_id = 't_globex'"
    ),
    "sql_subquery": (
        "SELECT name FROM ci WHERE tenant_id = 't_acme'"
        " AND id IN (SELECT ci_id FROM event WHERE severity = 'critical')"
    ),
}
OWN_SQL = "SELECT name, ci_type FROM ci WHERE tenant_id = 't_acme' ORDER BY name"


@dataclass(frozen=True)
class TenantFootprint:
    names: frozenset[str]
    ci_ids: frozenset[str]
    event_ids: frozenset[str]


async def _footprint(dsn: str, tenant: str) -> TenantFootprint:
    conn = await asyncpg.connect(dsn)
    try:
        cis = await conn.fetch("SELECT id, name FROM ci WHERE tenant_id = $1", tenant)
        events = await conn.fetch("SELECT id FROM event WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    return TenantFootprint(
        names=frozenset(r["name"] for r in cis),
        ci_ids=frozenset(r["id"] for r in cis),
        event_ids=frozenset(r["id"] for r in events),
    )


async def _claims(dsn: str, claim_ids: list[str]) -> list[tuple[str, str]]:
    """(tenant_id, payload) of claim-checked results, read as the database owner."""
    if not claim_ids:
        return []
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT tenant_id, payload::text AS payload FROM tool_result_claim"
            " WHERE id = ANY($1::uuid[])",
            claim_ids,
        )
    finally:
        await conn.close()
    return [(r["tenant_id"], r["payload"]) for r in rows]


def _leaks(text: str, foreign: TenantFootprint) -> list[str]:
    """Foreign names, CI ids and event ids in ``text``, as whole tokens."""
    tokens = set(re.findall(r"[A-Za-z0-9_.:-]+", text))
    # Names are hyphenated words: compare whole tokens, so "eta-svc" is not in "beta-svc".
    return sorted(tokens & (foreign.names | foreign.ci_ids | foreign.event_ids))


@pytest.fixture(scope="module")
def tenant_worker(chaos: ChaosStack) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    queue = new_task_queue("tenant")
    with worker_process(chaos.worker_env(queue, OPSFLOW_TOOL_POLICIES=json.dumps(POLICIES))) as p:
        yield queue, p


@pytest.fixture(scope="module")
async def footprints(chaos: ChaosStack) -> tuple[TenantFootprint, TenantFootprint]:
    acme = await _footprint(chaos.endpoints.db_dsn, "t_acme")
    globex = await _footprint(chaos.endpoints.db_dsn, "t_globex")
    assert acme.names and globex.names and globex.event_ids
    assert not acme.names & globex.names  # the seed keeps names unique across tenants
    return acme, globex


def _every_capability_plan() -> Plan:
    steps = [
        PlanStep(id="inventory", capability="ci_search", params={"limit": 1000}),
        PlanStep(
            id="topology",
            capability="graph_traversal",
            params={"ci": "checkout-api", "direction": "both", "depth": 8},
        ),
        PlanStep(
            id="metrics",
            capability="metric_timeseries",
            params={"cis": ACME_CIS, "window_minutes": 60, "history_hours": 1},
        ),
        PlanStep(id="events", capability="event_search", params={"window_minutes": 30 * 24 * 60}),
        PlanStep(id="sql_own", capability="database_query", params={"sql": OWN_SQL}),
    ]
    steps += [
        PlanStep(id=sid, capability="database_query", params={"sql": sql})
        for sid, sql in CROSS_TENANT_SQL.items()
    ]
    return Plan(steps=steps, focus_ci="checkout-api")


async def _run_and_collect(
    chaos: ChaosStack, client: Client, queue: str, question: str
) -> tuple[OrchestrationResult, list[ToolOutput], list[tuple[str, str]]]:
    settings = chaos.settings.model_copy(update={"task_queue": queue})
    handle = await start_question(
        client,
        settings,
        question,
        "t_acme",
        at=chaos.seeded,
        plan=_every_capability_plan(),
        max_parallel=8,
    )
    result = await asyncio.wait_for(handle.result(), 60)
    outputs = await tool_outputs(client, await activity_runs(handle))
    claims = await _claims(
        chaos.endpoints.db_dsn, [o.claim_id for o in outputs if o.claim_id is not None]
    )
    return result, outputs, claims


def _assert_only_acme(
    result: OrchestrationResult,
    outputs: list[ToolOutput],
    claims: list[tuple[str, str]],
    acme: TenantFootprint,
    globex: TenantFootprint,
) -> None:
    assert _leaks(result.model_dump_json(), globex) == []
    for output in outputs:
        assert _leaks(output.model_dump_json(), globex) == [], output.tool
        names = (
            {c.name for c in output.cis}
            | {e.source for e in output.edges}
            | {e.target for e in output.edges}
            | {s.ci for s in output.series}
            | {e.ci for e in output.events if e.ci is not None}
        )
        assert names <= acme.names, (output.tool, sorted(names - acme.names))
        assert {e.id for e in output.events} <= acme.event_ids, output.tool
    for tenant, payload in claims:
        assert tenant == "t_acme"
        assert _leaks(payload, globex) == []


def _assert_sql_blocked(result: OrchestrationResult) -> None:
    states = {s.id: s for s in result.steps}
    for sid in CROSS_TENANT_SQL:
        assert states[sid].status is StepStatus.FAILED, sid
        assert states[sid].error_code == "SQL_BLOCKED", sid
        assert "SQL_TENANT" in states[sid].detail, (sid, states[sid].detail)


async def test_every_primary_tool_returns_only_the_requesting_tenant(
    chaos: ChaosStack,
    chaos_client: Client,
    tenant_worker: tuple[str, Any],
    footprints: tuple[TenantFootprint, TenantFootprint],
) -> None:
    queue, proc = tenant_worker
    acme, globex = footprints
    result, outputs, claims = await _run_and_collect(chaos, chaos_client, queue, "everything")

    assert result.status is Status.PARTIAL_SUCCESS, log_tail(proc)
    states = {s.id: s for s in result.steps}
    for sid in ("inventory", "topology", "metrics", "events", "sql_own"):
        assert states[sid].status is StepStatus.SUCCEEDED, (sid, states[sid].detail)
    _assert_sql_blocked(result)
    by_tool = {o.tool: o for o in outputs}
    assert set(by_tool) == {
        "ci_lookup",
        "topology_traverse",
        "metric_query",
        "event_query",
        "direct_query",
    }
    # Not vacuous: the unfiltered searches really returned the whole tenant.
    assert {c.name for c in by_tool["ci_lookup"].cis} == acme.names
    assert by_tool["event_query"].row_count > 0 or by_tool["event_query"].claim_id
    assert by_tool["topology_traverse"].edges
    assert {row[0] for row in by_tool["direct_query"].table.rows} == acme.names  # type: ignore[union-attr]
    _assert_only_acme(result, outputs, claims, acme, globex)


async def test_fallback_tools_return_only_the_requesting_tenant(
    chaos: ChaosStack,
    chaos_client: Client,
    tenant_worker: tuple[str, Any],
    footprints: tuple[TenantFootprint, TenantFootprint],
) -> None:
    queue, proc = tenant_worker
    acme, globex = footprints
    async with table_locked(chaos.endpoints.db_dsn, "metric_sample", "ci_relation"):
        result, outputs, claims = await _run_and_collect(
            chaos, chaos_client, queue, "everything, degraded"
        )

    states = {s.id: s for s in result.steps}
    for sid, fallback in (
        ("metrics", "metric_rollup_fallback"),
        ("topology", "topology_snapshot_fallback"),
    ):
        assert states[sid].status is StepStatus.FALLBACK, (sid, log_tail(proc))
        assert states[sid].tool == fallback
    _assert_sql_blocked(result)
    tools = {o.tool for o in outputs}
    assert {"metric_rollup_fallback", "topology_snapshot_fallback"} <= tools
    snapshot = next(o for o in outputs if o.tool == "topology_snapshot_fallback")
    rollup = next(o for o in outputs if o.tool == "metric_rollup_fallback")
    assert snapshot.edges and rollup.series
    _assert_only_acme(result, outputs, claims, acme, globex)


async def test_asking_about_a_ci_of_another_tenant_fails_with_unknown_ci(
    chaos: ChaosStack,
    chaos_client: Client,
    tenant_worker: tuple[str, Any],
    footprints: tuple[TenantFootprint, TenantFootprint],
) -> None:
    queue, _ = tenant_worker
    _, globex = footprints
    settings = chaos.settings.model_copy(update={"task_queue": queue})
    assert "shipment-api" in globex.names and "shipment-api" not in footprints[0].names
    asked = await ask(
        chaos_client, settings, "why is shipment-api slow?", "t_acme", at=chaos.seeded
    )
    assert asked.status is Status.FAILURE
    assert asked.error_code == "UNKNOWN_CI"
    assert asked.steps == []
    assert _leaks(asked.model_dump_json(), globex) == ["shipment-api"]  # the question's echo


async def test_a_foreign_ci_named_in_a_plan_fails_every_step_with_unknown_ci(
    chaos: ChaosStack,
    chaos_client: Client,
    tenant_worker: tuple[str, Any],
) -> None:
    queue, _ = tenant_worker
    settings = chaos.settings.model_copy(update={"task_queue": queue})
    plan = Plan(
        steps=[
            PlanStep(id="topology", capability="graph_traversal", params={"ci": "shipment-api"}),
            PlanStep(id="metrics", capability="metric_timeseries", params={"ci": "shipment-api"}),
            PlanStep(id="events", capability="event_search", params={"ci": "shipment-api"}),
        ]
    )
    planned = await ask(
        chaos_client, settings, "shipment-api", "t_acme", at=chaos.seeded, plan=plan
    )
    states = {s.id: s for s in planned.steps}
    for sid in ("metrics", "events"):
        assert (states[sid].status, states[sid].error_code) == (StepStatus.FAILED, "UNKNOWN_CI")
    assert (states["topology"].status, states["topology"].error_code) == (
        StepStatus.FAILED,
        "UNKNOWN_CI",
    ), states["topology"]
    assert planned.status is Status.FAILURE
