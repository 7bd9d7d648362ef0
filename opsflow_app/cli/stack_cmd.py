"""``stack`` and ``demo``: the embedded servers, migrated and seeded."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import asyncpg
from rich.console import Console

from opsflow.db.migrate import migrate
from opsflow.settings import Settings
from opsflow_app.cli.errors import EXIT_NOT_FOUND, EXIT_UNREACHABLE, CliError
from opsflow_app.stack import EmbeddedStack, StackEndpoints
from opsflow_app.stack.errors import StackError
from opsflow_app.stack.prometheus_server import ENABLE_HINT, PrometheusServer, prometheus_available

# Whatever stops us (Ctrl-C, SIGTERM, the terminal closing), the servers stop too.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def prepare_database(
    dsn: str,
    *,
    reseed: bool,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
) -> bool:
    """Migrate; seed the demo tenants when empty (or always with ``reseed``)."""
    from opsflow_app.seed import TENANTS, database_is_empty, seed_all

    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        if reseed or await database_is_empty(conn):
            chosen = tuple(TENANTS) if tenants is None else tuple(tenants)
            end = end or datetime.now(UTC).replace(second=0, microsecond=0)
            await seed_all(conn, tenants=chosen, end=end)
            return True
        return False
    finally:
        await conn.close()


_interrupted: list[int] = []


def _interrupt(signum: int, _: FrameType | None) -> None:
    # Only the first signal interrupts: a second Ctrl-C must not cut the stop short.
    if not _interrupted:
        _interrupted.append(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end start-up the way Ctrl-C does: through ``finally`` blocks."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_for_signal() -> None:
    async def waiter() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(waiter())


def start_stack(settings: Settings, console: Console) -> tuple[EmbeddedStack, StackEndpoints]:
    """Start the servers; the caller must be inside ``stop_on_signals`` and stop the stack."""

    def announce(message: str) -> None:
        console.print(f"[yellow]note:[/yellow] {message}")

    stack = EmbeddedStack(settings, announce=announce)
    try:
        with console.status("starting Temporal and PostgreSQL"):
            endpoints = stack.start()
    except StackError as err:
        raise CliError(err.code, err.message, EXIT_UNREACHABLE) from err
    except (RuntimeError, TimeoutError, FileNotFoundError) as err:
        logs = f"{settings.data_dir}/*/*.log"
        raise CliError("STACK_START", f"{err} (see {logs})", EXIT_UNREACHABLE) from err
    return stack, endpoints


def write_env_file(path: Path, endpoints: StackEndpoints) -> None:
    if not path.parent.is_dir():
        raise CliError("NOT_FOUND", f"{path.parent}: no such directory", EXIT_NOT_FOUND)
    path.write_text("\n".join(endpoints.env_lines()) + "\n")


def run_stack(settings: Settings, *, env_file: Path | None = None, prometheus: bool = False) -> int:
    console = Console(stderr=True)
    with stop_on_signals():
        stack: EmbeddedStack | None = None
        live: PrometheusServer | None = None
        try:
            stack, endpoints = start_stack(settings, console)
            seeded = asyncio.run(prepare_database(endpoints.db_dsn, reseed=False))
            if prometheus:
                live = _live_metrics(settings, endpoints.db_dsn, console)
            for line in endpoints.env_lines():
                print(line, flush=True)
            if live is not None:
                print(f"export PROMETHEUS_URL={live.url}", flush=True)
            if env_file is not None:
                write_env_file(env_file, endpoints)
                console.print(f"wrote {env_file}: run `. {env_file}` in other shells")
            else:
                console.print("paste the export lines above into other shells")
            console.print(f"Temporal UI: {endpoints.ui_url}")
            console.print("database seeded" if seeded else "database already had data")
            console.print(f"Ctrl-C stops the stack (pid {os.getpid()})")
            _wait_for_signal()
        finally:
            if live is not None:
                live.stop()
            if stack is not None:
                with console.status("stopping Temporal and PostgreSQL"):
                    stack.stop()
    return 0


def _live_metrics(settings: Settings, dsn: str, console: Console) -> PrometheusServer | None:
    """Prometheus on the seeded data, or a line saying how to get it (PostgreSQL serves)."""
    from opsflow_app.cli.prometheus_stack import start_live_metrics

    if not prometheus_available():
        console.print(f"metrics stay in PostgreSQL: {ENABLE_HINT}")
        return None
    with console.status("backfilling and starting Prometheus"):
        server = start_live_metrics(dsn, settings.data_dir.resolve() / "prometheus")
    console.print(f"seeded tenants' metrics served by Prometheus at {server.url}")
    return server
