"""``sources set|show|remove``: a tenant's metric sources, from the operator's YAML file.

``set`` refuses the file with one line unless every template parses as PromQL with a
``{ci}`` placeholder and the URL answers as a Prometheus API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import yaml

from opsflow.db.migrate import migrate
from opsflow.db.pool import create_pool
from opsflow.errors import AppError
from opsflow.names import ErrorCode
from opsflow.settings import Settings
from opsflow.sources.model import TenantSources, parse_sources
from opsflow.sources.prometheus_api import probe
from opsflow.sources.store import read_sources, remove_sources, save_sources
from opsflow.tenant_id import TENANT_ID_PATTERN, is_tenant_id
from opsflow_app.cli.errors import EXIT_NOT_FOUND, EXIT_UNREACHABLE, CliError


@asynccontextmanager
async def _pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    if not settings.db_dsn:
        raise CliError("CONFIG", "OPSFLOW_DB_DSN is not set (run `python client.py stack`)")
    try:
        conn = await asyncpg.connect(settings.db_dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        pool = await create_pool(settings.db_dsn, min_size=1, max_size=1)
    except (OSError, asyncpg.PostgresError) as err:
        raise CliError(
            "DB_UNAVAILABLE", f"cannot reach the ops database: {err}", EXIT_UNREACHABLE
        ) from err
    try:
        yield pool
    finally:
        await pool.close()


async def verify(sources: TenantSources) -> str:
    """The server's version; CliError when the URL does not answer as Prometheus."""
    if sources.prometheus is None:
        return ""
    try:
        return await probe(sources.prometheus)
    except AppError as err:
        raise CliError(
            ErrorCode.SOURCE_UNREACHABLE, f"prometheus.url {err.message}", EXIT_UNREACHABLE
        ) from err


async def set_sources(settings: Settings, tenant: str, sources: TenantSources) -> str:
    version = await verify(sources)
    async with _pool(settings) as pool:
        try:
            await save_sources(pool, tenant, sources)
        except AppError as err:
            raise CliError(err.code, err.message, EXIT_NOT_FOUND) from err
    return version


def read_file(name: str) -> TenantSources:
    path = Path(name)
    if not path.is_file():
        raise CliError("NOT_FOUND", f"{name}: no such file", EXIT_NOT_FOUND)
    try:
        return parse_sources(path.read_text(encoding="utf-8"))
    except AppError as err:
        raise CliError(err.code, f"{name}: {err.message}") from err
    except UnicodeDecodeError as err:
        raise CliError(ErrorCode.SOURCE_INVALID, f"{name}: not UTF-8 text") from err


async def run_sources(args: argparse.Namespace, settings: Settings) -> int:
    if not is_tenant_id(args.tenant):
        raise CliError(
            "VALIDATION_ERROR", f"tenant id {args.tenant!r} must match {TENANT_ID_PATTERN}"
        )
    if args.action == "set":
        sources = await asyncio.to_thread(read_file, args.file)
        version = await set_sources(settings, args.tenant, sources)
        prom = sources.prometheus
        if args.json:
            print(json.dumps({"tenant": args.tenant, "prometheus_version": version}))
        elif prom is not None:
            print(
                f"{args.tenant}: metrics from Prometheus {version} at {prom.url}"
                f" ({', '.join(sorted(prom.metrics))})"
            )
        else:
            print(f"{args.tenant}: no metric sources (metrics from the ops database)")
        return 0
    async with _pool(settings) as pool:
        try:
            if args.action == "remove":
                removed = await remove_sources(pool, args.tenant)
                print(json.dumps({"removed": removed}) if args.json else f"removed {removed}")
                return 0
            sources = await read_sources(pool, args.tenant)
        except AppError as err:
            raise CliError(err.code, err.message, EXIT_NOT_FOUND) from err
    shown = sources.model_dump(mode="json", exclude_none=True)
    print(json.dumps(shown) if args.json else yaml.safe_dump(shown, sort_keys=False).strip())
    return 0
