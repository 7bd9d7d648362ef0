"""``chat --tenant T [--thread ID]``: an interactive investigation, one turn per line.

Lines are questions; ``/state`` prints the thread's context, ``/close`` closes the thread,
``/quit`` (or end of input) leaves it open for later. A refused or failed turn prints its
one-line error and the loop goes on, except on a closed thread.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from rich.console import Console

from opsflow.errors import AppError
from opsflow.models import OrchestrationResult
from opsflow.settings import Settings
from opsflow.threads.validate import RefusalCode
from opsflow_app.cli.ask import parse_reference_time
from opsflow_app.cli.errors import CliError, as_cli_error
from opsflow_app.cli.thread_progress import answer_with_progress
from opsflow_app.client.threads import (
    check_tenant,
    close_thread,
    follow_up_for,
    open_thread,
    start_thread,
)

QUIT = frozenset({"/quit", "/exit"})
CLOSE = "/close"
STATE = "/state"


async def run_chat(client: Any, args: argparse.Namespace, settings: Settings) -> int:
    tenant = check_tenant(args.tenant)
    at = parse_reference_time(args.at)
    if args.thread:
        handle, owner = await open_thread(client, args.thread)
        if owner != tenant:
            raise CliError("TENANT_MISMATCH", f"{args.thread} belongs to another tenant")
    else:
        handle = await start_thread(client, tenant, settings)
    err_console = Console(stderr=True)
    print(f"thread {handle.id} [{tenant}]  ({STATE}, {CLOSE}, /quit)", file=sys.stderr)
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return 0
        question = line.strip()
        if not question:
            continue
        if question in QUIT:
            return 0
        if question == CLOSE:
            view = await close_thread(handle)
            print(f"closed {view.thread_id} after {view.turn} turns", file=sys.stderr)
            return 0
        if question == STATE:
            from opsflow_app.client.threads import thread_view

            print((await thread_view(client, handle.id)).model_dump_json(indent=1))
            continue
        try:
            follow_up = follow_up_for(question, tenant, at=at, deadline_s=args.deadline)
            result = await answer_with_progress(
                client, handle, follow_up, None if args.json else err_console
            )
        except (CliError, AppError) as failure:
            err = as_cli_error(failure)
            print(f"error: {err.code}: {err.message}", file=sys.stderr)
            if err.code == RefusalCode.THREAD_CLOSED:
                return err.exit_code
            continue
        show(result, settings, as_json=args.json)


def show(result: OrchestrationResult, settings: Settings, *, as_json: bool) -> None:
    namespace = settings.temporal_namespace
    result.ui_url = (
        f"{settings.temporal_ui_url}/namespaces/{namespace}/workflows/{result.workflow_id}"
    )
    if as_json:
        print(result.model_dump_json(), flush=True)
        return
    from opsflow_app.cli.render import render

    render(result, Console())
    print(f"turn {result.turn} · focus {result.focus_ci or '-'} · {result.thread_id}")
