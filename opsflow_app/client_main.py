"""OpsFlow command line: ask questions, run the embedded stack, inspect and replay runs
(``opsflow`` after ``pip install``, or ``python client.py``).

Every command exits 0 on success and non-zero with a one-line ``error: CODE: reason``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from opsflow_app.cli import serve_cmd
from opsflow_app.cli.errors import (
    EXIT_FAILED_ANSWER,
    EXIT_NOT_FOUND,
    EXIT_UNREACHABLE,
    CliError,
    as_cli_error,
    debugging,
    fail,
)


def _ui_link(settings: Settings, workflow_id: str) -> str:
    namespace = settings.temporal_namespace
    return f"{settings.temporal_ui_url}/namespaces/{namespace}/workflows/{workflow_id}"


def _emit(result: OrchestrationResult, settings: Settings, *, as_json: bool) -> int:
    result.ui_url = _ui_link(settings, result.workflow_id)
    if as_json:
        print(result.model_dump_json())
    else:
        from opsflow_app.cli.render import render

        render(result, Console())
    return EXIT_FAILED_ANSWER if result.status is Status.FAILURE else 0


async def _connect(settings: Settings):  # type: ignore[no-untyped-def]
    from opsflow.temporal_client import connect

    try:
        return await connect(settings)
    except (RuntimeError, ConnectionError) as err:
        raise CliError(
            "TEMPORAL_UNAVAILABLE",
            f"cannot reach Temporal at {settings.temporal_address}: {err}",
            EXIT_UNREACHABLE,
        ) from err


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.ask import build_request
    from opsflow_app.cli.pollers import ensure_worker
    from opsflow_app.cli.progress import wait_with_progress
    from opsflow_app.client.questions import start

    if args.thread:
        return await _ask_in_thread(args, settings)
    if not args.tenant:
        raise CliError("VALIDATION_ERROR", "--tenant is required (or --thread ID)")
    request = build_request(
        args.question,
        args.tenant,
        at=args.at,
        deadline_s=args.deadline,
        max_parallel=args.max_parallel,
        require_llm=args.llm,
    )
    client = await _connect(settings)
    await ensure_worker(client, settings)
    handle = await start(client, request, settings)
    try:
        result = await wait_with_progress(handle, None if args.json else Console(stderr=True))
    except WorkflowFailureError as err:
        raise CliError(
            "WORKFLOW_FAILED", f"{handle.id}: {err.cause or err}", EXIT_FAILED_ANSWER
        ) from err
    return _emit(result, settings, as_json=args.json)


async def _ask_in_thread(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.ask import build_request
    from opsflow_app.cli.thread_ask import ask_in_thread

    # The question's own checks (blank, size, --at) before anything is started.
    build_request(args.question, args.tenant or "t_check", at=args.at, deadline_s=args.deadline)
    from opsflow_app.cli.pollers import ensure_worker

    client = await _connect(settings)
    await ensure_worker(client, settings)  # a thread's turns run on the same task queue
    result = await ask_in_thread(client, args, settings)
    status = _emit(result, settings, as_json=args.json)
    if not args.json:
        print(f"thread {result.thread_id} · turn {result.turn} · focus {result.focus_ci or '-'}")
    return status


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.chat import run_chat

    return await run_chat(await _connect(settings), args, settings)


async def cmd_threads(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli import threads_cmd

    handlers = {
        "list": threads_cmd.list_threads,
        "show": threads_cmd.show_thread,
        "close": threads_cmd.close,
    }
    return await handlers[args.threads_command](await _connect(settings), args)


async def cmd_result(args: argparse.Namespace, settings: Settings) -> int:
    client = await _connect(settings)
    handle = client.get_workflow_handle(args.workflow_id, result_type=OrchestrationResult)
    try:
        result = await handle.result()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise CliError("NOT_FOUND", f"no workflow {args.workflow_id}", EXIT_NOT_FOUND) from err
        raise
    return _emit(result, settings, as_json=args.json)


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.list_cmd import list_query, run_list

    list_query(args.tenant, args.status)  # bad input fails before any connection
    return await run_list(args, await _connect(settings))


async def cmd_tenants(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.catalog_cmd import run_tenants

    return await run_tenants(args, settings)


async def cmd_cis(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.catalog_cmd import run_cis

    return await run_cis(args, settings)


async def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.history_cmd import export_history

    count = await export_history(settings, args.workflow_id, Path(args.output))
    print(f"{count} events written to {args.output}", file=sys.stderr)
    return 0


def cmd_check_sql(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow.sql import check_sql_lines

    if args.file == "-":
        lines: list[str] = sys.stdin.readlines()
    else:
        lines = Path(args.file).read_text(encoding="utf-8").splitlines()
    for verdict in check_sql_lines(lines, args.tenant):
        print(json.dumps(verdict))
    return 0


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.data_cmd import run_import

    return await run_import(args, settings)


async def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.sources_cmd import run_sources

    return await run_sources(args, settings)


async def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.cli.stack_cmd import prepare_database

    if not settings.db_dsn:
        raise CliError("CONFIG", "OPSFLOW_DB_DSN is not set")
    seeded = await prepare_database(settings.db_dsn, reseed=args.force)
    print("seeded" if seeded else "database already seeded (use --force to re-seed)")
    return 0


async def cmd_codec_server(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow.errors import AppError
    from opsflow_app.codec_server import serve

    try:
        await serve(settings, args.host, args.port)
    except AppError as err:
        raise CliError(err.code, err.message) from err
    return 0


def parser() -> argparse.ArgumentParser:
    # prog: how it was started (client.py, opsflow), as argparse names it by default.
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ask an operations question")
    ask.add_argument("question")
    ask.add_argument("--tenant", help="required unless --thread names an existing thread")
    ask.add_argument("--thread", help="'new' to start an investigation thread, or its id")
    ask.add_argument("--json", action="store_true", help="print the result as JSON only")
    ask.add_argument("--at", help="reference time: ISO 8601 or unix seconds")
    ask.add_argument("--deadline", type=float, default=60.0, help="seconds for the whole run")
    ask.add_argument("--max-parallel", type=int, default=4)
    ask.add_argument("--llm", action="store_true", help="require the LLM planner")
    chat = sub.add_parser("chat", help="an interactive investigation thread")
    chat.add_argument("--tenant", required=True)
    chat.add_argument("--thread", help="continue this thread instead of starting one")
    chat.add_argument("--at", help="reference time of every question: ISO 8601 or unix seconds")
    chat.add_argument("--deadline", type=float, default=60.0)
    chat.add_argument("--json", action="store_true", help="one JSON answer per line")
    threads = sub.add_parser("threads", help="list, show or close investigation threads")
    threads_sub = threads.add_subparsers(dest="threads_command", required=True)
    threads_list = threads_sub.add_parser("list", help="a tenant's threads")
    threads_list.add_argument("--tenant", required=True)
    threads_list.add_argument("--limit", type=int, default=50)
    threads_list.add_argument("--json", action="store_true")
    for name in ("show", "close"):
        one = threads_sub.add_parser(name, help=f"{name} one thread")
        one.add_argument("thread_id")
        one.add_argument("--json", action="store_true")
    result = sub.add_parser("result", help="print the result of a finished run")
    result.add_argument("workflow_id")
    result.add_argument("--json", action="store_true")
    lst = sub.add_parser("list", help="list runs of a tenant (search attributes)")
    lst.add_argument("--tenant", required=True)
    lst.add_argument("--status", choices=[s.value for s in Status] + ["running"])
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--json", action="store_true")
    stack = sub.add_parser("stack", help="run embedded Temporal + PostgreSQL in the foreground")
    stack.add_argument("--env-file", help="also write the export lines to this file (. FILE)")
    tenants = sub.add_parser("tenants", help="list the tenants in the ops database")
    tenants.add_argument("--json", action="store_true")
    cis = sub.add_parser("cis", help="list a tenant's configuration items")
    cis.add_argument("--tenant", required=True)
    cis.add_argument("--json", action="store_true")
    stack.add_argument(
        "--prometheus",
        action="store_true",
        help="also serve the seeded metrics from a Prometheus server (Debian's prometheus)",
    )
    demo = sub.add_parser("demo", help="boot the stack, seed, and answer sample questions")
    demo.add_argument("--keep", action="store_true", help="leave the stack up afterwards")
    seed = sub.add_parser("seed", help="migrate and seed the ops database")
    seed.add_argument("--force", action="store_true")
    check = sub.add_parser("check-sql", help="validate SQL, one statement per line")
    check.add_argument("--tenant", required=True)
    check.add_argument("--file", required=True, help="file path, or - for stdin")
    hist = sub.add_parser("history", help="export a run's event history as JSON")
    hist.add_argument("workflow_id")
    hist.add_argument("-o", "--output", required=True)
    replay = sub.add_parser("replay", help="replay history files against the current code")
    replay.add_argument("files", nargs="+")
    imp = sub.add_parser("import", help="load telemetry CSVs for a tenant")
    imp.add_argument("--tenant", required=True)
    imp.add_argument(
        "--metrics",
        help="long CSV ts,ci,metric,value (optional: a tenant with "
        "a Prometheus source imports only CIs, graph and events)",
    )
    imp.add_argument("--graph")
    imp.add_argument("--events")
    imp.add_argument("--cis")
    imp.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="render a saved `ask --json` answer (FILE or -)")
    show.add_argument("file")
    sources = sub.add_parser("sources", help="a tenant's metric sources (Prometheus)")
    actions = sources.add_subparsers(dest="action", required=True)
    for action, text in (
        ("set", "validate and store a sources.yaml for a tenant"),
        ("show", "print a tenant's stored sources"),
        ("remove", "remove a tenant's sources (metrics from the ops database again)"),
    ):
        one = actions.add_parser(action, help=text)
        one.add_argument("--tenant", required=True)
        one.add_argument("--json", action="store_true")
        if action == "set":
            one.add_argument("--file", required=True, help="sources.yaml")
    codec = sub.add_parser("codec-server", help="serve the payload codec for the Temporal UI")
    codec.add_argument("--host", default="127.0.0.1")
    codec.add_argument("--port", type=int, default=8081)
    serve_cmd.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    as_json = bool(getattr(args, "json", False))
    from opsflow.logging_setup import configure_logging

    configure_logging("WARNING", json_output=True)
    try:
        if getattr(args, "tenant", None) is not None:
            from opsflow_app.cli.tenant_arg import checked_tenant

            checked_tenant(args.tenant)  # every command, before any work
        if args.command == "stack":
            from opsflow_app.cli.stack_cmd import run_stack

            return run_stack(
                settings,
                env_file=Path(args.env_file) if args.env_file else None,
                prometheus=args.prometheus,
            )
        if args.command == "demo":
            from opsflow_app.cli.demo import run_demo

            return run_demo(settings, keep=args.keep)
        if args.command == "replay":
            from opsflow_app.cli.history_cmd import run_replay

            return run_replay(settings, [Path(f) for f in args.files])
        if args.command == "show":
            from opsflow_app.cli.show_cmd import run_show

            return run_show(args.file)
        if args.command == "check-sql":
            return cmd_check_sql(args, settings)
        handlers = {
            "ask": cmd_ask,
            "chat": cmd_chat,
            "threads": cmd_threads,
            "result": cmd_result,
            "list": cmd_list,
            "tenants": cmd_tenants,
            "cis": cmd_cis,
            "history": cmd_history,
            "import": cmd_import,
            "seed": cmd_seed,
            "sources": cmd_sources,
            "codec-server": cmd_codec_server,
            "serve": serve_cmd.cmd_serve,
        }
        return asyncio.run(handlers[args.command](args, settings))
    except CliError as err:
        fail(err, as_json=as_json)
    except (Exception, KeyboardInterrupt) as err:
        if debugging():
            raise
        fail(as_cli_error(err), as_json=as_json)


def run() -> NoReturn:
    """The ``opsflow`` console script and ``python client.py``."""
    try:
        status = main()
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            status = 1
        else:
            status = stop.code or 0
    # The Temporal SDK's Rust threads can call into Python during interpreter shutdown and
    # abort it (temporalio/sdk-python#300): flush, then skip that shutdown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
