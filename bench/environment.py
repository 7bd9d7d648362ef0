"""The servers the bench runs against, and the seeded data.

Temporal and PostgreSQL come from ``TEMPORAL_ADDRESS`` / ``OPSFLOW_DB_DSN`` when set;
otherwise the embedded stack starts them on free ports in a temporary directory that is
removed afterwards.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from bench.common import progress
from opsflow.settings import Settings
from opsflow_app.seed import TENANTS, default_end, read_incidents, seed_all
from opsflow_app.stack import EmbeddedStack
from opsflow_app.stack._procs import free_port


@contextmanager
def bytecode_cache(enabled: bool) -> Iterator[None]:
    """Cache compiled bytecode in a temporary directory, as an installed worker has it.

    The workflow sandbox re-imports ``workflows/*`` for every workflow run. pip compiles
    a wheel's modules at install time, so a deployed worker reads ``.pyc`` files; a dev
    shell with ``PYTHONDONTWRITEBYTECODE=1`` makes every run recompile the source
    instead. The worker subprocess inherits the same choice (see ``bench.rss``).
    """
    if not enabled:
        yield
        return
    saved = (sys.dont_write_bytecode, sys.pycache_prefix)
    with tempfile.TemporaryDirectory(prefix="opsflow-bench-pyc-") as prefix:
        sys.dont_write_bytecode, sys.pycache_prefix = False, prefix
        try:
            yield
        finally:
            sys.dont_write_bytecode, sys.pycache_prefix = saved


def bytecode_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child Python process that caches bytecode as this process does."""
    if sys.pycache_prefix:
        env["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix
    if not sys.dont_write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass(frozen=True)
class SeedReport:
    size: str
    end: datetime
    rows: int
    seconds: float
    generate_seconds: float

    @property
    def rows_per_s(self) -> float:
        """Rows per second of loading (COPY into PostgreSQL), generation excluded."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def rows_per_s_with_generation(self) -> float:
        total = self.seconds + self.generate_seconds
        return self.rows / total if total > 0 else 0.0


@dataclass(frozen=True)
class BenchServers:
    """Where the servers are. The pids are those of servers this bench started (the dev
    server, the postmaster); None for a server named in the environment: its CPU is not
    ours to read, even when it happens to run on this machine."""

    settings: Settings
    source: str
    temporal_pid: int | None
    postgres_pid: int | None


def _pid_in(path: Path) -> int | None:
    """The first line of a pid file (``postmaster.pid`` starts with the pid too)."""
    try:
        return int(path.read_text().split("\n", 1)[0].strip())
    except (OSError, ValueError):
        return None


@contextmanager
def bench_stack(base: Settings) -> Iterator[BenchServers]:
    """Yields settings pointing at the servers, where they came from, and their pids."""
    data_dir = Path(tempfile.mkdtemp(prefix="opsflow-bench-"))
    stack = EmbeddedStack(
        base,
        data_dir=data_dir,
        temporal_port=free_port(),
        ui_port=free_port(),
        pg_port=free_port(),
        ui=False,
    )
    started = [
        name
        for name, srv in (("temporal", stack.temporal), ("postgres", stack.postgres))
        if srv is not None
    ]
    progress(
        f"starting embedded {', '.join(started)} in {data_dir}"
        if started
        else "using TEMPORAL_ADDRESS and OPSFLOW_DB_DSN from the environment"
    )
    try:
        endpoints = stack.start()
        settings = base.model_copy(
            update={
                "temporal_address": endpoints.temporal_address,
                "db_dsn": endpoints.db_dsn,
            }
        )
        label = "embedded" if len(started) == 2 else ("environment" if not started else "mixed")
        yield BenchServers(
            settings,
            label,
            temporal_pid=_pid_in(stack.temporal.pid_file) if stack.temporal else None,
            postgres_pid=_pid_in(stack.postgres.pgdata / "postmaster.pid")
            if stack.postgres
            else None,
        )
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def seed(dsn: str, size: str, end: datetime | None = None) -> SeedReport:
    end = end or default_end()
    progress(f"seeding {len(TENANTS)} tenants at size {size!r}, ending {end.isoformat()}")
    stats = await seed_all(dsn, size=size, end=end)
    report = SeedReport(
        size=size,
        end=end,
        rows=sum(s.rows for s in stats.values()),
        seconds=sum(s.seconds for s in stats.values()),
        generate_seconds=sum(s.generate_seconds for s in stats.values()),
    )
    progress(
        f"seeded {report.rows} rows: load {report.seconds:.1f}s, "
        f"generate {report.generate_seconds:.1f}s"
    )
    return report


async def typical_questions(dsn: str) -> list[tuple[str, str]]:
    """(tenant, "why is X slow?") for every injected incident of every seeded tenant."""
    conn = await asyncpg.connect(dsn)
    try:
        out = []
        for tenant in TENANTS:
            out += [(tenant, i.question) for i in await read_incidents(conn, tenant)]
    finally:
        await conn.close()
    if not out:
        raise RuntimeError("no seeded incidents: is the database seeded?")
    return out


async def latest_sample(dsn: str) -> datetime:
    """The seed's end, read back (used when seeding was skipped)."""
    conn = await asyncpg.connect(dsn)
    try:
        value = await conn.fetchval("SELECT max(ts) FROM metric_sample")
    finally:
        await conn.close()
    if value is None:
        raise RuntimeError("no metric samples: seed the database or drop --no-seed")
    return value  # type: ignore[no-any-return]
