"""``ask ... --thread new|ID``: one question as a turn of an investigation thread."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import Console

from opsflow.models import OrchestrationResult
from opsflow.settings import Settings
from opsflow_app.cli.ask import parse_reference_time
from opsflow_app.cli.errors import CliError
from opsflow_app.cli.thread_progress import answer_with_progress
from opsflow_app.client.threads import (
    NEW_THREAD,
    check_tenant,
    follow_up_for,
    open_thread,
    start_thread,
)


async def ask_in_thread(
    client: Any, args: argparse.Namespace, settings: Settings
) -> OrchestrationResult:
    """``--tenant`` is required for a new thread; an existing one knows its own tenant
    (given anyway, it must match: the thread's validator refuses another)."""
    at = parse_reference_time(args.at)
    if args.thread == NEW_THREAD:
        if not args.tenant:
            raise CliError("VALIDATION_ERROR", "--thread new needs --tenant")
        handle = await start_thread(client, check_tenant(args.tenant), settings)
        tenant = args.tenant
        # Printed before the answer so the id is known even if the turn fails.
        if not args.json:
            print(f"thread {handle.id}", file=sys.stderr)
    else:
        handle, tenant = await open_thread(client, args.thread)
        tenant = args.tenant or tenant
    follow_up = follow_up_for(
        args.question,
        tenant,
        at=at,
        deadline_s=args.deadline,
        max_parallel=args.max_parallel,
        require_llm=args.llm,
    )
    console = None if args.json else Console(stderr=True)
    return await answer_with_progress(client, handle, follow_up, console)
