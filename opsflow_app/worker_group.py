"""``python worker.py --processes N``: N worker processes that share nothing but the task queue.

One Python worker keeps at most one core busy (the workflow and activity code hold the
GIL); a host with more cores runs more processes. Each child is a plain one-process worker
(``python -m opsflow_app.worker_main``: its own Temporal client, asyncpg pool, caches and
metrics port) started by this parent, which only supervises:

- SIGTERM or SIGINT to the parent: every child gets SIGTERM and shuts down gracefully
  (finishing or handing back its tasks); the parent leaves when all have, 0 if all did.
- A child that exits on its own (a failed start, a crash) stops the others, and the parent
  exits with that child's status: a supervisor (compose, systemd) restarts the group,
  instead of a group that silently runs on fewer processes than asked for.
- The parent's death (even SIGKILL) sends SIGTERM to the children (Linux
  ``PR_SET_PDEATHSIG``): no orphan keeps polling.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import structlog

log = structlog.get_logger("opsflow.worker_group")

# The worker's own graceful shutdown takes up to 10 s (build_worker); then some margin.
STOP_TIMEOUT_S = 30.0
POLL_S = 0.2
METRICS_PORT_VAR = "OPSFLOW_METRICS_PORT"
# Set in each child: its index in the group (logs, and so a child never forks again).
INDEX_VAR = "OPSFLOW_WORKER_INDEX"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child between fork and exec."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        # Not Linux: the parent's signal handlers still stop the children.
        return


def child_env(base: Mapping[str, str], index: int) -> dict[str, str]:
    """The parent's environment; a metrics port becomes one port per child (port + index)."""
    env = dict(base)
    env[INDEX_VAR] = str(index)
    port = env.get(METRICS_PORT_VAR, "").strip()
    if port:
        env[METRICS_PORT_VAR] = str(int(port) + index)
    return env


@dataclass
class WorkerGroup:
    command: Sequence[str]
    processes: int
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _children: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)

    def request_stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        self._stop.set()

    def start(self) -> None:
        for index in range(self.processes):
            proc = subprocess.Popen(
                list(self.command),
                env=child_env(self.env, index),
                preexec_fn=_die_with_parent,
            )
            self._children.append(proc)
            log.info("worker_process_started", index=index, pid=proc.pid)

    def wait(self) -> int:
        """Until a stop is requested or a child exits; then stop all. The exit status."""
        first_exit: int | None = None
        while not self._stop.is_set():
            exited = [p for p in self._children if p.poll() is not None]
            if exited:
                first_exit = exited[0].returncode
                log.warning(
                    "worker_process_exited", pid=exited[0].pid, status=first_exit, stopping="all"
                )
                break
            self._stop.wait(POLL_S)
        statuses = self.stop()
        if first_exit is not None:
            # A child killed by signal S reports -S: exit as a shell would, 128 + S.
            return first_exit if first_exit > 0 else (128 - first_exit if first_exit else 1)
        return 0 if all(s == 0 for s in statuses) else 1

    def stop(self) -> list[int]:
        for proc in self._children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        statuses = []
        for proc in self._children:
            try:
                statuses.append(proc.wait(timeout=max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                log.warning("worker_process_killed", pid=proc.pid, after_s=STOP_TIMEOUT_S)
                proc.kill()
                statuses.append(proc.wait())
        log.info("worker_group_stopped", statuses=statuses)
        return statuses


# The one-process worker, importable wherever this module is (installed or a checkout).
CHILD_MODULE = "opsflow_app.worker_main"
_ROOT = str(Path(__file__).resolve().parents[1])


def run_group(processes: int) -> int:
    """Run ``processes`` one-process workers until SIGTERM/SIGINT; the exit status."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH", "")) if p)
    group = WorkerGroup(command=[sys.executable, "-m", CHILD_MODULE], processes=processes, env=env)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, group.request_stop)
    group.start()
    return group.wait()
