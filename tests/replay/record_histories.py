"""Record the histories in tests/histories/ from real runs of every path.

    python -m tests.replay.record_histories [--out tests/histories]

Starts its own embedded stack, seeds it, runs one workflow per path (success, degraded,
partial_success, failure, deadline, cancellation, LLM success, LLM outage) and exports
each history as JSON. Re-record only when a behaviour change is guarded by
``workflow.patched``: the old files must keep replaying.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsflow.models import Plan, PlanStep
from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.cli.stack_cmd import prepare_database
from tests.fakes.llm_server import FakeLlmServer
from tests.support.faults import active_queries, table_locked
from tests.support.harness import running_worker, start_question
from tests.support.stack import embedded_stack, settings_for

FAST_FAIL = json.dumps(
    {
        "metric_query": {
            "heartbeat_timeout_s": 1,
            "start_to_close_s": 8,
            "maximum_attempts": 2,
            "initial_interval_s": 0.2,
        },
        "event_query": {"start_to_close_s": 1.5, "maximum_attempts": 2, "initial_interval_s": 0.2},
    }
)
QUESTION = "why is payments-api slow?"


async def record(out: Path, prefix: str = "", only: frozenset[str] = frozenset()) -> None:
    with embedded_stack("record", ui=False) as stack:
        endpoints = stack.endpoints
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        await prepare_database(endpoints.db_dsn, reseed=True, end=end)
        settings = settings_for(endpoints)
        client = await connect(settings)
        out.mkdir(parents=True, exist_ok=True)

        async def save(
            name: str, run: Callable[[Settings], Awaitable[Any]], **overrides: Any
        ) -> None:
            if only and name not in only:
                return
            async with running_worker(client, settings, **overrides) as s:
                handle = await run(s)
            history = await handle.fetch_history()
            (out / f"{prefix}{name}.json").write_text(json.dumps(history.to_json_dict(), indent=1))
            print(f"recorded {name}: {len(history.events)} events")

        async def finished(
            s: Settings, question: str = QUESTION, tenant: str = "t_acme", **kw: Any
        ) -> Any:
            handle = await start_question(client, s, question, tenant, at=end, **kw)
            await handle.result()
            return handle

        metrics_only = Plan(
            steps=[PlanStep(id="m", capability="metric_timeseries", params={"ci": "payments-api"})]
        )
        events_then_metrics = Plan(
            steps=[
                PlanStep(id="events", capability="event_search", params={"ci": "payments-api"}),
                PlanStep(
                    id="after",
                    capability="metric_timeseries",
                    params={"ci": "payments-api"},
                    depends_on=["events"],
                ),
                PlanStep(
                    id="topology", capability="graph_traversal", params={"ci": "payments-api"}
                ),
            ]
        )

        await save("success", finished)

        async def degraded(s: Settings) -> Any:
            async with table_locked(endpoints.db_dsn, "metric_sample"):
                return await finished(s, plan=metrics_only)

        await save("degraded_fallback", degraded, tool_policies_json=FAST_FAIL)

        async def partial(s: Settings) -> Any:
            async with table_locked(endpoints.db_dsn, "event"):
                return await finished(s, plan=events_then_metrics)

        await save("partial_success", partial, tool_policies_json=FAST_FAIL)
        await save("failure_unknown_tenant", lambda s: finished(s, tenant="t_nobody"))
        # `ask --llm` on a worker with no LLM: refused (patch required-llm-refuses).
        await save("llm_required_refused", lambda s: finished(s, require_llm=True))

        async def deadline(s: Settings) -> Any:
            async with table_locked(endpoints.db_dsn, "event"):
                return await finished(s, plan=events_then_metrics, deadline_s=3)

        await save("deadline", deadline)

        async def cancelled(s: Settings) -> Any:
            sql = (
                "SELECT count(*) AS record_cancel FROM metric_sample a JOIN metric_sample b"
                " ON a.tenant_id = b.tenant_id WHERE a.tenant_id = 't_acme'"
                " AND b.tenant_id = 't_acme' AND a.value + b.value > -1"
            )
            plan = Plan(
                steps=[PlanStep(id="heavy", capability="database_query", params={"sql": sql})]
            )
            handle = await start_question(client, s, "heavy", "t_acme", at=end, plan=plan)
            while not await active_queries(endpoints.db_dsn, "record_cancel"):
                await asyncio.sleep(0.1)
            await handle.cancel()
            while await active_queries(endpoints.db_dsn, "record_cancel"):
                await asyncio.sleep(0.1)
            return handle

        await save("cancelled", cancelled)

        async with FakeLlmServer(mode="auto", plan_builder=_plan_for_payments) as server:
            llm = {
                "openai_api_key": "k",
                "openai_base_url": server.base_url,
                "llm_model": "fake-model",
            }
            await save("llm_success", finished, **llm)
            server.mode = "http_500"
            await save("llm_outage_degraded", finished, **llm)


def _plan_for_payments(_: dict[str, Any]) -> str:
    return json.dumps(
        {
            "focus_ci": "payments-api",
            "intent": "why_slow",
            "steps": [
                {"id": "topo", "capability": "graph_traversal", "params": {"ci": "payments-api"}},
                {"id": "own", "capability": "metric_timeseries", "params": {"ci": "payments-api"}},
                {
                    "id": "up",
                    "capability": "metric_timeseries",
                    "params": {"include_inputs": True},
                    "depends_on": ["topo"],
                },
            ],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).parent.parent / "histories"))
    parser.add_argument("--prefix", default="", help="e.g. v2_ for histories of a new version")
    parser.add_argument("--only", nargs="*", default=[], help="record just these paths")
    args = parser.parse_args()
    asyncio.run(record(Path(args.out), args.prefix, frozenset(args.only)))


if __name__ == "__main__":
    main()
