"""Record the investigation-thread histories in tests/histories/threads/ from real runs.

    python -m tests.replay.record_thread_histories [--out tests/histories/threads]

Starts its own embedded stack, seeds it, and records: a thread of three turns closed by
the client (``turns``), the two runs of a thread that continued as new after two turns
(``continue_as_new_run1`` ends in ContinueAsNew, ``_run2`` carries the context), a thread
closed for idleness (``idle``), a refused reference (``unresolved``), and one turn's child
orchestration (``child_turn``), which replays with OpsOrchestrationWorkflow.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client

from opsflow.models import OrchestrationResult
from opsflow.models.thread import CloseRequest, FollowUp, ThreadLimits, ThreadView
from opsflow.temporal_client import connect
from opsflow_app.cli.history_cmd import history_json
from opsflow_app.cli.stack_cmd import prepare_database
from opsflow_app.client.threads import UPDATE_ASK, UPDATE_CLOSE, start_thread
from tests.support.harness import running_worker
from tests.support.stack import embedded_stack, settings_for

OUT = Path(__file__).parent.parent / "histories" / "threads"


async def _save(client: Client, out: Path, name: str, workflow_id: str, run_id: str) -> None:
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    (out / f"{name}.json").write_text(history_json(workflow_id, history))
    print(f"recorded {name}: {len(history.events)} events")


async def record(out: Path) -> None:
    with embedded_stack("record-threads", ui=False) as stack:
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        await prepare_database(stack.endpoints.db_dsn, reseed=True, end=end)
        client = await connect(settings_for(stack.endpoints))
        out.mkdir(parents=True, exist_ok=True)
        async with running_worker(client, settings_for(stack.endpoints)) as settings:

            async def ask(handle: Any, question: str, **kw: Any) -> OrchestrationResult:
                follow_up = FollowUp(question=question, tenant_id="t_acme", **kw)
                result: OrchestrationResult = await handle.execute_update(
                    UPDATE_ASK, follow_up, result_type=OrchestrationResult
                )
                return result

            async def close(handle: Any) -> None:
                await handle.execute_update(UPDATE_CLOSE, CloseRequest(), result_type=ThreadView)
                await handle.result()

            thread = await start_thread(client, "t_acme", settings)
            first = await ask(thread, "why is payments-api slow?", at=end)
            await ask(thread, "what changed on it in the last hour?")
            await ask(thread, "what does its database depend on?")
            await close(thread)
            await _save(client, out, "turns", thread.id, thread.result_run_id or "")
            child = client.get_workflow_handle(first.workflow_id)
            await child.result()
            await _save(client, out, "child_turn", first.workflow_id, "")

            rolling = await start_thread(
                client, "t_acme", settings, ThreadLimits(max_turns_per_run=2)
            )
            for question in ("what depends on payments-api?", "is it slow?", "since then?"):
                await ask(rolling, question, at=end)
            await close(rolling)
            runs = [wf.run_id async for wf in client.list_workflows(f"WorkflowId = '{rolling.id}'")]
            first_run = rolling.result_run_id or ""
            [second_run] = [r for r in runs if r != first_run]
            await _save(client, out, "continue_as_new_run1", rolling.id, first_run)
            await _save(client, out, "continue_as_new_run2", rolling.id, second_run)

            idle = await start_thread(client, "t_acme", settings, ThreadLimits(idle_timeout_s=1))
            await ask(idle, "what depends on payments-api?", at=end)
            await idle.result()
            await _save(client, out, "idle", idle.id, idle.result_run_id or "")

            unresolved = await start_thread(client, "t_acme", settings)
            await ask(unresolved, "what changed on it?", at=end)
            await close(unresolved)
            await _save(client, out, "unresolved", unresolved.id, unresolved.result_run_id or "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    asyncio.run(record(Path(args.out)))


if __name__ == "__main__":
    main()
