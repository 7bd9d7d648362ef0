"""Worker subprocesses for chaos tests: ``python worker.py`` exactly as an operator runs it.

Each worker gets its configuration from the environment (the documented contract), its own
process group (``start_new_session``) so a stop reaches every child, and a log file that a
failing test prints. Nothing here patches the code under test: faults are signals.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from opsflow.settings import ENV_VARS
from opsflow_app.stack._procs import stop_process

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_SCRIPT = REPO_ROOT / "worker.py"
# worker.py logs this structlog event once its Temporal worker is built and about to poll.
READY_EVENT = '"worker_started"'

_LOGS: dict[int, Path] = {}
_LIVE: dict[int, subprocess.Popen[bytes]] = {}


@atexit.register
def _kill_leftovers() -> None:
    """Last resort when a test run ends abruptly: no worker outlives the test process."""
    for proc in list(_LIVE.values()):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def worker_env(env_overrides: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any OpsFlow setting, plus ``env_overrides``.

    Settings the developer exported (an LLM key, another task queue, codec keys) must not
    leak into a worker under test: only what the test names configures it.
    """
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.setdefault("OPSFLOW_ENV", "test")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(env_overrides)
    return env


def spawn_worker(
    env_overrides: Mapping[str, str],
    *,
    log_path: Path | None = None,
    args: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """Start ``python worker.py [args]`` in its own session; stdout and stderr go to a log
    file."""
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="opsflow-worker-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), *args],
            cwd=REPO_ROOT,
            env=worker_env(env_overrides),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _LOGS[proc.pid] = log_path
    _LIVE[proc.pid] = proc
    return proc


def log_path(proc: subprocess.Popen[bytes]) -> Path:
    return _LOGS[proc.pid]


def log_text(proc: subprocess.Popen[bytes]) -> str:
    path = _LOGS.get(proc.pid)
    if path is None or not path.exists():
        return ""
    return path.read_text(encoding="utf-8", errors="replace")


def log_tail(proc: subprocess.Popen[bytes], lines: int = 40) -> str:
    return "\n".join(log_text(proc).splitlines()[-lines:])


def identity(proc: subprocess.Popen[bytes]) -> str:
    """The Temporal worker identity the SDK derives by default: ``pid@host``."""
    return f"{proc.pid}@{socket.gethostname()}"


def wait_until_ready(proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Block until the worker logged ``worker_started``; fail early if it exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if READY_EVENT in log_text(proc):
            return
        if proc.poll() is not None:
            raise RuntimeError(
                f"worker {proc.pid} exited with {proc.returncode} before it was ready:\n"
                + log_tail(proc)
            )
        time.sleep(0.1)
    raise TimeoutError(f"worker {proc.pid} not ready within {timeout_s:.0f}s:\n{log_tail(proc)}")


def kill_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no graceful shutdown, no completion of the activities in flight."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    _LIVE.pop(proc.pid, None)


def stop_worker(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> int:
    """SIGTERM the worker's process group (graceful shutdown), SIGKILL what is left.

    Returns the exit code. Safe on a process that already exited.
    """
    stop_process(proc, timeout_s)
    _LIVE.pop(proc.pid, None)
    return proc.returncode


@contextmanager
def worker_process(
    env_overrides: Mapping[str, str], *, ready_timeout_s: float = 30.0, keep_log: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """A ready worker subprocess, stopped (and its log removed) on exit."""
    proc = spawn_worker(env_overrides)
    path = log_path(proc)
    failed = False
    try:
        wait_until_ready(proc, ready_timeout_s)
        yield proc
    except BaseException:
        failed = True
        raise
    finally:
        stop_worker(proc)
        if failed:
            # Shown by pytest with the failure; the whole log stays for a post-mortem.
            print(
                f"--- worker {proc.pid} log ({path}), last lines ---\n{log_tail(proc, 60)}",
                file=sys.stderr,
            )
        _LOGS.pop(proc.pid, None)
        if not (keep_log or failed):
            path.unlink(missing_ok=True)


def wait_until(
    predicate: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.1, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout_s:.0f}s: {what or predicate!r}")
        time.sleep(interval_s)


async def async_wait_until(
    predicate: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float,
    interval_s: float = 0.1,
    what: str = "",
) -> None:
    """Poll an async predicate (a workflow describe, a database probe) until it holds."""
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout_s:.0f}s: {what or predicate!r}")
        await asyncio.sleep(interval_s)
