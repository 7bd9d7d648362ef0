"""``stack`` and ``demo``: the embedded servers, migrated and seeded."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime

import asyncpg
from rich.console import Console

from opsflow.db.migrate import migrate
from opsflow.settings import Settings
from opsflow.stack import EmbeddedStack, StackEndpoints
from opsflow.stack.prometheus_server import ENABLE_HINT, PrometheusServer, prometheus_available


async def prepare_database(dsn: str, *, reseed: bool, end: datetime | None = None) -> bool:
    """Migrate; seed the demo tenants when empty (or always with ``reseed``)."""
    from opsflow.seed import database_is_empty, seed_all

    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        if reseed or await database_is_empty(conn):
            await seed_all(conn, end=end or datetime.now(UTC).replace(second=0, microsecond=0))
            return True
        return False
    finally:
        await conn.close()


def _wait_for_signal() -> None:
    async def waiter() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(waiter())


def start_stack(settings: Settings, console: Console) -> tuple[EmbeddedStack, StackEndpoints]:
    stack = EmbeddedStack(settings)
    with console.status("starting Temporal and PostgreSQL"):
        endpoints = stack.start()
    return stack, endpoints


def run_stack(settings: Settings, *, prometheus: bool = False) -> int:
    console = Console(stderr=True)
    stack, endpoints = start_stack(settings, console)
    live: PrometheusServer | None = None
    try:
        seeded = asyncio.run(prepare_database(endpoints.db_dsn, reseed=False))
        if prometheus:
            live = _live_metrics(settings, endpoints.db_dsn, console)
        for line in endpoints.env_lines():
            print(line, flush=True)
        if live is not None:
            print(f"PROMETHEUS_URL={live.url}", flush=True)
        console.print(f"Temporal UI: {endpoints.ui_url}")
        console.print("database seeded" if seeded else "database already had data")
        console.print("export the lines above in other shells; Ctrl-C stops the stack")
        _wait_for_signal()
    finally:
        if live is not None:
            live.stop()
        stack.stop()
    return 0


def _live_metrics(settings: Settings, dsn: str, console: Console) -> PrometheusServer | None:
    """Prometheus on the seeded data, or a line saying how to get it (PostgreSQL serves)."""
    from opsflow.cli.prometheus_stack import start_live_metrics

    if not prometheus_available():
        console.print(f"metrics stay in PostgreSQL: {ENABLE_HINT}")
        return None
    with console.status("backfilling and starting Prometheus"):
        server = start_live_metrics(dsn, settings.data_dir.resolve() / "prometheus")
    console.print(f"seeded tenants' metrics served by Prometheus at {server.url}")
    return server
