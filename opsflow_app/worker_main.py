"""Run an OpsFlow worker: configuration from the environment, one asyncpg pool per
process, migrations at start (fail closed in prod), graceful shutdown on SIGTERM/SIGINT
(``opsflow-worker`` after ``pip install``, or ``python worker.py``).

``--processes N`` runs N such processes sharing only the task queue
(``opsflow_app.worker_group``): one Python process keeps at most one core busy.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import structlog
import temporalio
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities import WorkerResources, build_activities
from activities.claims import claim_cleaner
from activities.context import flush_stats, stats_flusher
from activities.interceptor import OpsActivityInterceptor
from opsflow.db.migrate import MigrationError, migrate_with_policy
from opsflow.db.pool import create_pool
from opsflow.db.session import SessionLimits, configure_session_limits
from opsflow.errors import AppError
from opsflow.logging_setup import configure_logging
from opsflow.policies import load_policies
from opsflow.settings import Settings
from opsflow.sql import validate_sql
from opsflow.telemetry import setup_worker_metrics
from opsflow.temporal_client import connect
from workflows import InvestigationThreadWorkflow, OpsOrchestrationWorkflow

log = structlog.get_logger("opsflow.worker")


async def build_llm(settings: Settings) -> Any:
    """The LLM client when an API key is configured; a required LLM must be reachable."""
    if not settings.llm_enabled:
        if settings.llm_required:
            raise SystemExit("OPSFLOW_LLM_REQUIRED is set but OPENAI_API_KEY is not")
        return None
    from opsflow.llm.client import LlmClient

    client = LlmClient.from_settings(settings)
    if settings.llm_required:
        try:
            await client.ping()
        except AppError as err:
            await client.aclose()
            raise SystemExit(f"worker: LLM required but unreachable: {err}") from err
    return client


@asynccontextmanager
async def worker_resources(settings: Settings) -> AsyncIterator[WorkerResources]:
    if not settings.db_dsn:
        raise SystemExit("OPSFLOW_DB_DSN is not set (run `python client.py stack`)")
    try:
        await migrate_with_policy(settings.db_dsn, prod=settings.is_prod)
    except MigrationError as err:
        # Fail closed: never serve on a schema this code does not understand.
        raise SystemExit(f"migration failed, worker not started: {err}") from err
    configure_session_limits(SessionLimits.from_settings(settings))
    pool = await create_pool(
        settings.db_dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max
    )
    res = WorkerResources(
        pool=pool,
        settings=settings,
        policies=load_policies(settings.tool_policies_json),
        llm=await build_llm(settings),
    )
    flusher = asyncio.create_task(stats_flusher(res))
    cleaner = asyncio.create_task(
        claim_cleaner(pool, settings.claim_retention_s, settings.claim_cleanup_interval_s)
    )
    try:
        yield res
    finally:
        flusher.cancel()
        cleaner.cancel()
        await asyncio.gather(flusher, cleaner, return_exceptions=True)
        await flush_stats(res)
        await pool.close()
        await res.aclose_http()
        if res.llm is not None:
            await res.llm.aclose()


# Loaded at start, not on the first direct_query (which imports it lazily for the CLI's sake).
PRELOADED = (validate_sql,)


def build_worker(
    client: Client,
    res: WorkerResources,
    *,
    task_queue: str | None = None,
    activity_overrides: Sequence[Callable[..., Any]] = (),
) -> Worker:
    """``activity_overrides`` replace activities by name (tests isolating a failure)."""
    overridden = {getattr(a, "__temporal_activity_definition").name for a in activity_overrides}
    activities = [
        a
        for a in build_activities(res)
        if getattr(a, "__temporal_activity_definition").name not in overridden
    ] + list(activity_overrides)
    settings = res.settings
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=[OpsOrchestrationWorkflow, InvestigationThreadWorkflow],
        activities=activities,
        interceptors=[OpsActivityInterceptor(res)],
        workflow_runner=workflow_runner(settings),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=10),
        build_id=source_build_id(),
    )


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """Temporal's sandbox unless ``OPSFLOW_WORKFLOW_SANDBOX=false`` (docs/DECISIONS.md)."""
    if settings.workflow_sandbox:
        return SandboxedWorkflowRunner()
    return UnsandboxedWorkflowRunner()


@functools.cache
def source_build_id() -> str:
    """A hash of OpsFlow's own sources and the SDK version.

    The SDK's default hashes the bytecode of every loaded module (sqlglot, pydantic, ...),
    spent again at every worker start (cost: docs/DECISIONS.md, "Build id").
    """
    digest = hashlib.sha256(temporalio.__version__.encode())
    root = Path(__file__).resolve().parents[1]
    for package in ("workflows", "activities", "opsflow"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return f"opsflow-{digest.hexdigest()[:16]}"


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    metrics = setup_worker_metrics(settings.metrics_port)
    try:
        client = await connect(settings, runtime=metrics.runtime)
        async with worker_resources(settings) as res:
            worker = build_worker(client, res)
            log.info(
                "worker_started",
                task_queue=settings.task_queue,
                temporal=settings.temporal_address,
                llm=res.llm is not None,
            )
            run = asyncio.create_task(worker.run())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({run, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done():
                log.info("worker_stopping")
                await worker.shutdown()
            stopper.cancel()
            await run
    finally:
        metrics.close()
    log.info("worker_stopped")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="worker.py", description=__doc__)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="worker processes sharing the task queue (default 1; one per core is typical)",
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        raise SystemExit("error: VALIDATION_ERROR: --processes must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    settings = Settings()
    configure_logging(settings.log_level)
    if args.processes > 1:
        from opsflow_app.worker_group import run_group

        raise SystemExit(run_group(args.processes))

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    try:
        asyncio.run(_main())
    except ConnectionError as err:
        raise SystemExit(f"worker: cannot start: {err}") from err
    except RuntimeError as err:
        # temporalio raises RuntimeError when the server cannot be reached.
        raise SystemExit(f"worker: cannot reach Temporal: {err}") from err


def _exit_now(err: SystemExit) -> NoReturn:
    """Leave without interpreter finalization: the Temporal runtime's Rust threads can call
    into a finalizing interpreter and abort it (temporalio/sdk-python#300), which turned a
    one-line start-up error into a core dump about one exit in five."""
    code = err.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


def run() -> NoReturn:
    """The ``opsflow-worker`` console script and ``python worker.py``."""
    try:
        main()
    except SystemExit as exit_:
        _exit_now(exit_)
    _exit_now(SystemExit(0))


if __name__ == "__main__":
    run()
