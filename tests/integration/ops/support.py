"""Helpers for the operations tests: child processes (CLI, worker, browser) that never
block the event loop the in-process test worker runs on, and small polling utilities."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from temporalio.client import Client

from opsflow.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO_ROOT / "test-artifacts"
QUESTION = "why is payments-api slow?"
TENANT = "t_acme"
# Visibility (list_workflows) is eventually consistent, even on the dev server.
VISIBILITY_WAIT_S = 5.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The parent's environment without any OpsFlow/Temporal/LLM configuration, plus the
    session stack's endpoints: a child must not pick up a developer's real cluster or key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPSFLOW_", "TEMPORAL_", "OPENAI_"))
    }
    env.update(
        TEMPORAL_ADDRESS=settings.temporal_address or "",
        OPSFLOW_DB_DSN=settings.db_dsn or "",
        TEMPORAL_UI_URL=settings.temporal_ui_url,
        OPSFLOW_TASK_QUEUE=settings.task_queue,
        OPSFLOW_ENV="test",
    )
    env.update(extra)
    return env


async def run_process(
    args: list[str], *, env: Mapping[str, str], timeout_s: float, cwd: Path = REPO_ROOT
) -> Completed:
    """Run to completion without blocking the loop (the test worker shares it); on timeout
    the process group we started is killed and the test fails with what it printed."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout_s)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = await proc.communicate()
        raise AssertionError(
            f"{args[:3]} did not finish within {timeout_s}s\nstdout: {out[-2000:]!r}\n"
            f"stderr: {err[-2000:]!r}"
        ) from None
    assert proc.returncode is not None
    return Completed(proc.returncode, out.decode(), err.decode(), time.monotonic() - started)


async def run_cli(*args: str, env: Mapping[str, str], timeout_s: float = 60.0) -> Completed:
    run = await run_process(
        [sys.executable, str(REPO_ROOT / "client.py"), *args], env=env, timeout_s=timeout_s
    )
    # Named apart from other failures: the answer was printed, then the process aborted
    # while the interpreter finalized under the Temporal SDK's still-running Rust threads
    # (temporalio/sdk-python#300). The cure is in client.py (flush, then os._exit), not here.
    assert "Fatal Python error" not in run.stderr, (
        f"client.py {args[0]} aborted at interpreter exit (returncode {run.returncode}, "
        f"temporalio/sdk-python#300):\n{run.stderr}"
    )
    return run


async def poll(
    probe: Callable[[], Awaitable[_T | None]], *, timeout_s: float, interval_s: float = 0.2
) -> _T | None:
    """The first non-None answer of ``probe`` within ``timeout_s``, else None."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await probe()
        if answer is not None or time.monotonic() >= deadline:
            return answer
        await asyncio.sleep(interval_s)


async def worker_polling(client: Client, settings: Settings, timeout_s: float = 60.0) -> None:
    """Wait until the worker on ``settings.task_queue`` has polled: ``ask`` checks for it
    and gives a fresh worker only a few seconds, less than a loaded test host may need."""
    from opsflow_app.cli.pollers import live_pollers

    async def seen() -> bool | None:
        return True if await live_pollers(client, settings) else None

    assert await poll(seen, timeout_s=timeout_s, interval_s=0.5), "the test worker never polled"
