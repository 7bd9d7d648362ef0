"""``list``: a tenant's runs with their question, and which ones ended without an answer."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from opsflow.search_attributes import OPS_ERROR, OPS_QUESTION, OPS_STATUS
from opsflow_app.cli.tenant_arg import list_query as list_query

# Runs whose question is only in the encrypted summary are described a few at a time.
DESCRIBE_CONCURRENCY = 8


async def _question(client: Client, wf: WorkflowExecution, gate: asyncio.Semaphore) -> str | None:
    plain = wf.typed_search_attributes.get(OPS_QUESTION)
    if plain:
        return plain
    async with gate:
        try:
            # The start summary is a payload: our data converter decrypts it.
            described = await client.get_workflow_handle(wf.id, run_id=wf.run_id).describe()
            return await described.static_summary()
        except RPCError:
            return None


def row_for(wf: WorkflowExecution, question: str | None) -> dict[str, Any]:
    return {
        "workflow_id": wf.id,
        "status": wf.typed_search_attributes.get(OPS_STATUS),
        "error": wf.typed_search_attributes.get(OPS_ERROR),
        "question": question,
        "started": wf.start_time.isoformat(),
        "execution": wf.status.name.lower() if wf.status else None,
    }


def status_text(row: dict[str, Any]) -> str:
    """The answer's status, with the reason when it ended without one."""
    status = row["status"] or row["execution"] or "-"
    return f"{status}: {row['error']}" if row["error"] else status


def _when(row: dict[str, Any], today: date) -> str:
    started = datetime.fromisoformat(row["started"]).astimezone(UTC)
    return f"{started:%H:%M}" if started.date() == today else f"{started:%m-%d %H:%M}"


def print_rows(rows: list[dict[str, Any]], console: Console) -> None:
    today = datetime.now(UTC).date()
    if not console.is_terminal:
        # Piped: one line per run, tab-separated, question last (it may hold spaces).
        for row in rows:
            fields = [
                _when(row, today),
                status_text(row),
                row["workflow_id"],
                row["question"] or "",
            ]
            print("\t".join(fields))
        return
    table = Table("started (UTC)", "status", "question", "workflow id")
    for column in table.columns:
        column.overflow = "fold"  # wrapped, never cut
    style = {"failure": "red", "degraded": "yellow", "partial_success": "yellow"}
    for row in rows:
        when = _when(row, today)
        text = status_text(row)
        colour = style.get(row["status"] or "", "")
        table.add_row(
            when,
            f"[{colour}]{text}[/{colour}]" if colour else text,
            row["question"] or "",
            row["workflow_id"],
        )
    console.print(table)


async def run_list(args: argparse.Namespace, client: Client) -> int:
    query = list_query(args.tenant, args.status)
    found = [wf async for wf in client.list_workflows(query, limit=args.limit)]
    gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)
    questions = await asyncio.gather(*(_question(client, wf, gate) for wf in found))
    rows = [row_for(wf, q) for wf, q in zip(found, questions, strict=True)]
    if args.json:
        print(json.dumps(rows))
    else:
        print_rows(rows, Console())
    return 0
