"""``import``: load telemetry CSVs for a tenant in one transaction."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import asyncpg

from opsflow.db.migrate import migrate
from opsflow.errors import AppError
from opsflow.settings import Settings
from opsflow_app.cli.errors import EXIT_NOT_FOUND, EXIT_UNREACHABLE, CliError
from opsflow_app.cli.import_report import bad_row_lines, summary_lines
from opsflow_app.cli.tenant_arg import checked_tenant


def _path(value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise CliError("NOT_FOUND", f"{value}: no such file", EXIT_NOT_FOUND)
    return path


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from opsflow_app.importer import import_telemetry

    checked_tenant(args.tenant)
    if not settings.db_dsn:
        raise CliError("CONFIG", "OPSFLOW_DB_DSN is not set (run `python client.py stack`)")
    files = {name: _path(getattr(args, name)) for name in ("metrics", "graph", "events", "cis")}
    try:
        conn = await asyncpg.connect(settings.db_dsn)
    except (OSError, asyncpg.PostgresError) as err:
        raise CliError(
            "DB_UNAVAILABLE", f"cannot reach the ops database: {err}", EXIT_UNREACHABLE
        ) from err
    try:
        await migrate(conn)
        stats = await import_telemetry(conn, args.tenant, **files)  # type: ignore[arg-type]
    except AppError as err:
        if not args.json:
            for line in bad_row_lines(err.details):
                print(line, file=sys.stderr)
        raise CliError(err.code, err.message, details=err.details) from err
    finally:
        await conn.close()
    report = stats.as_dict()
    if args.json:
        print(json.dumps(report))
    else:
        print("\n".join(summary_lines(report)))
    return 0
