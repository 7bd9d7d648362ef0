"""``threads list --tenant T``, ``threads show ID`` and ``threads close ID``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from opsflow.models.thread import THREAD_WORKFLOW_NAME
from opsflow_app.client.threads import check_tenant, close_thread, open_thread, thread_view


async def list_threads(client: Any, args: argparse.Namespace) -> int:
    tenant = check_tenant(args.tenant)
    query = f"WorkflowType = '{THREAD_WORKFLOW_NAME}' AND TenantId = '{tenant}'"
    rows: dict[str, dict[str, Any]] = {}
    async for wf in client.list_workflows(query, limit=args.limit * 4):
        # Each continue-as-new run is its own execution: one row per thread, its latest run.
        if wf.id in rows:
            continue
        memo = await wf.memo()
        rows[wf.id] = {
            "thread_id": wf.id,
            "started": wf.start_time.isoformat(),
            "execution": wf.status.name.lower() if wf.status else None,
            "turn": memo.get("turn", 0),
            "focus_ci": memo.get("focus_ci"),
        }
        if len(rows) >= args.limit:
            break
    if args.json:
        print(json.dumps(list(rows.values())))
    else:
        for row in rows.values():
            print(
                f"{row['started']}  {row['execution'] or '-':<18} turn {row['turn']:<3} "
                f"{row['focus_ci'] or '-':<24} {row['thread_id']}"
            )
    return 0


async def show_thread(client: Any, args: argparse.Namespace) -> int:
    view = await thread_view(client, args.thread_id)
    if args.json:
        print(view.model_dump_json())
        return 0
    print(f"{view.thread_id} [{view.tenant_id}] {view.status.value}", end="")
    print(f" ({view.close_reason.value})" if view.close_reason else "")
    print(f"turns {view.turn} · run {view.run_number} · focus {view.context.focus_ci or '-'}")
    if view.context.cis:
        print("established: " + ", ".join(view.context.cis))
    for finding in view.context.findings:
        print(f"  - {finding}")
    for turn in view.turns:
        print(f"{turn.turn:>4}  {turn.status.value:<16} {turn.focus_ci or '-':<24} {turn.question}")
    return 0


async def close(client: Any, args: argparse.Namespace) -> int:
    handle, _ = await open_thread(client, args.thread_id)
    view = await close_thread(handle)
    print(view.model_dump_json() if args.json else f"closed {view.thread_id} ({view.turn} turns)")
    return 0
