"""``serve``: the HTTP API and answer pages (opsflow_app.api) on uvicorn."""

from __future__ import annotations

import argparse

from opsflow.errors import AppError
from opsflow.settings import Settings
from opsflow_app.cli.errors import CliError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the HTTP API and the answer pages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.api.server import serve

    try:
        await serve(settings, args.host, args.port)
    except AppError as err:
        raise CliError(err.code, err.message) from err
    return 0
