"""``demo``: boot (or reuse) the stack, seed, run an in-process worker, ask questions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
from rich.console import Console

from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.cli.ask import build_request
from opsflow_app.cli.progress import wait_with_progress
from opsflow_app.cli.render import render
from opsflow_app.cli.stack_cmd import (
    _wait_for_signal,
    prepare_database,
    start_stack,
    stop_on_signals,
)
from opsflow_app.client.questions import start
from opsflow_app.stack import EmbeddedStack
from opsflow_app.stack.prometheus_server import ENABLE_HINT, prometheus_available

DEMO_TENANTS = ("t_acme", "t_globex")


def live_metrics_hint() -> str:
    """Metrics came from PostgreSQL; say how to try them live from Prometheus."""
    if prometheus_available():
        return "Live metrics: `python client.py stack --prometheus` serves them from Prometheus."
    return (
        f"Live metrics from Prometheus: {ENABLE_HINT}, then `python client.py stack --prometheus`."
    )


async def demo_questions(dsn: str) -> list[tuple[str, str]]:
    """Questions from the seeded incidents, plus an ad-hoc one, across two tenants."""
    from opsflow_app.seed import read_incidents

    conn = await asyncpg.connect(dsn)
    try:
        questions: list[tuple[str, str]] = []
        for tenant in DEMO_TENANTS:
            incidents = await read_incidents(conn, tenant)
            questions += [(tenant, i.question) for i in incidents[:2]]
    finally:
        await conn.close()
    questions.append((DEMO_TENANTS[1], "top 5 hosts by cpu in the last hour"))
    return questions


async def tenants_with_imports(dsn: str) -> set[str]:
    """Tenants holding CIs that `import` loaded: re-seeding them would delete that data."""
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass('public.ci') IS NULL"):
            return set()
        rows = await conn.fetch(
            "SELECT DISTINCT tenant_id FROM ci WHERE attributes->>'source' = 'import'"
        )
        return {r["tenant_id"] for r in rows}
    finally:
        await conn.close()


async def _run(
    settings: Settings, dsn: str, console: Console, ui_url: str
) -> list[OrchestrationResult]:
    from opsflow_app import worker_main as worker_module
    from opsflow_app.seed import TENANTS

    kept = await tenants_with_imports(dsn)
    for tenant in sorted(kept):
        console.print(
            f"[yellow]note:[/yellow] {tenant} holds imported CIs: not re-seeding it"
            " (its seeded incidents keep their old times)"
        )
    await prepare_database(
        dsn,
        reseed=True,
        end=datetime.now(UTC).replace(second=0, microsecond=0),
        tenants=[t for t in TENANTS if t not in kept],
    )
    settings = settings.model_copy(update={"task_queue": f"opsflow-demo-{uuid.uuid4().hex[:8]}"})
    client = await connect(settings)
    results = []
    async with worker_module.worker_resources(settings) as res:
        async with worker_module.build_worker(client, res):
            for tenant, question in await demo_questions(dsn):
                request = build_request(question, tenant)
                handle = await start(client, request, settings, eager=True)
                result = await wait_with_progress(handle, console)
                result.ui_url = (
                    f"{ui_url}/namespaces/{settings.temporal_namespace}/workflows/{handle.id}"
                )
                render(result, console)
                console.rule()
                results.append(result)
    return results


def run_demo(settings: Settings, *, keep: bool) -> int:
    console = Console()
    with stop_on_signals():
        stack: EmbeddedStack | None = None
        try:
            stack, endpoints = start_stack(settings, Console(stderr=True))
            settings = settings.model_copy(
                update={"temporal_address": endpoints.temporal_address, "db_dsn": endpoints.db_dsn}
            )
            results = asyncio.run(_run(settings, endpoints.db_dsn, console, endpoints.ui_url))
            answered = sum(1 for r in results if r.status is not Status.FAILURE)
            console.print(
                f"{answered}/{len(results)} questions answered. Temporal UI: {endpoints.ui_url}"
            )
            console.print(live_metrics_hint())
            if keep:
                for line in endpoints.env_lines():
                    print(line)
                console.print("--keep: stack left up; Ctrl-C to stop")
                _wait_for_signal()
            return 0 if answered == len(results) else 1
        finally:
            if stack is not None:
                stack.stop()
