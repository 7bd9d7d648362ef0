"""The worker group's supervision, with stand-in children (no Temporal needed)."""

from __future__ import annotations

import signal
import sys
import threading
import time

import psutil

from opsflow_app.worker_group import INDEX_VAR, METRICS_PORT_VAR, WorkerGroup, child_env

# Sleeps until SIGTERM, then exits 0 (as worker.py does after its graceful shutdown).
CHILD = [
    sys.executable,
    "-c",
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
    "time.sleep(120)\n",
]


def _running(group: WorkerGroup) -> list[psutil.Process]:
    return [psutil.Process(p.pid) for p in group._children]


def test_stop_request_stops_every_child_and_exits_zero() -> None:
    group = WorkerGroup(command=CHILD, processes=2)
    group.start()
    threading.Timer(0.5, group.request_stop).start()
    assert group.wait() == 0
    assert all(p.poll() == 0 for p in group._children)


def test_a_child_that_dies_stops_the_group_with_its_status() -> None:
    group = WorkerGroup(command=CHILD, processes=2)
    group.start()
    first, second = _running(group)
    time.sleep(0.3)
    first.send_signal(signal.SIGKILL)
    status = group.wait()
    assert status == 128 + signal.SIGKILL
    # The survivor was stopped, not left polling on its own.
    assert group._children[1].poll() == 0
    assert not second.is_running() or second.status() == psutil.STATUS_ZOMBIE


def test_each_child_gets_its_index_and_its_own_metrics_port() -> None:
    base = {METRICS_PORT_VAR: "9400", "OTHER": "x"}
    envs = [child_env(base, i) for i in range(3)]
    assert [e[METRICS_PORT_VAR] for e in envs] == ["9400", "9401", "9402"]
    assert [e[INDEX_VAR] for e in envs] == ["0", "1", "2"]
    assert all(e["OTHER"] == "x" for e in envs)
    assert METRICS_PORT_VAR not in child_env({}, 1)
