"""CPU used by each component of a run, and by the whole machine, between two readings.

A component is a process tree named by its root pid (a worker group, the Temporal dev
server, the PostgreSQL postmaster, this bench process). Its root pid is None when the
server is not ours to read (``TEMPORAL_ADDRESS`` / ``OPSFLOW_DB_DSN`` set): such a
component is reported as null, never guessed. The machine's figure is every core's busy
time from ``/proc/stat``, so what other work on the host took is the machine's figure
less the components'.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psutil

from bench.common import rounded

# Share of the usable cores above which the host counts as saturated: a closed loop never
# keeps every core busy every tick (waits on the network, the scheduler's own time).
SATURATED_SHARE = 0.9


def tree_cpu_s(pid: int) -> float | None:
    """CPU seconds of a process and its descendants so far; None when the root has gone.

    A child that exited takes its CPU with it unless the root waited for it; worker
    processes, the dev server and PostgreSQL's pooled backends live through a batch."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def machine_busy_s() -> float:
    """Busy CPU seconds of every core since boot (guest time is already in user)."""
    t = psutil.cpu_times()
    return sum(getattr(t, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq"))


@dataclass(frozen=True)
class CpuReading:
    wall_s: float
    machine_s: float
    components: dict[str, float | None]


@dataclass(frozen=True)
class CpuDelta:
    """CPU seconds each component (and the machine) spent over ``wall_s`` seconds."""

    wall_s: float
    machine_s: float
    components: dict[str, float | None]

    def __add__(self, other: CpuDelta) -> CpuDelta:
        """Two spans pooled; a component unknown in either is unknown in the sum."""
        names = self.components.keys() | other.components.keys()
        return CpuDelta(
            self.wall_s + other.wall_s,
            self.machine_s + other.machine_s,
            {n: _add(self.components.get(n), other.components.get(n)) for n in sorted(names)},
        )


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _sub(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def delta(before: CpuReading, after: CpuReading) -> CpuDelta:
    return CpuDelta(
        after.wall_s - before.wall_s,
        after.machine_s - before.machine_s,
        {n: _sub(v, before.components.get(n)) for n, v in after.components.items()},
    )


@dataclass(frozen=True)
class Root:
    """A component's process; ``tree``: with its descendants (a worker group, a server),
    or alone (this bench process, whose children are the worker groups and servers)."""

    pid: int
    tree: bool = True

    def cpu_s(self) -> float | None:
        if self.tree:
            return tree_cpu_s(self.pid)
        try:
            times = psutil.Process(self.pid).cpu_times()
        except psutil.NoSuchProcess:
            return None
        return float(times.user + times.system)


class CpuMeter:
    """Reads each component's CPU; ``roots`` maps a component to its process, or to None
    when it is not ours to read (reported as null)."""

    def __init__(self, roots: Mapping[str, Root | None]) -> None:
        self._roots = dict(roots)

    def read(self) -> CpuReading:
        return CpuReading(
            wall_s=time.perf_counter(),
            machine_s=machine_busy_s(),
            components={
                name: None if root is None else root.cpu_s() for name, root in self._roots.items()
            },
        )


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_figures(span: CpuDelta, *, questions: int, cores: int) -> dict[str, Any]:
    """Per component: cores busy (CPU seconds over wall seconds) and CPU ms per question;
    their sum (``ours``, over the components that could be read), the machine's, the rest
    (other work on the host), and each against the ``cores`` this machine can use."""
    wall = span.wall_s
    out: dict[str, Any] = {}
    ours = 0.0
    for name, cpu in span.components.items():
        if cpu is None:
            out[name] = None
            continue
        ours += cpu
        out[name] = _component(cpu, wall, questions)
    machine = span.machine_s
    out["ours"] = _component(ours, wall, questions)
    out["machine"] = _component(machine, wall, questions)
    # Ticks are read at slightly different instants: a small negative rest is noise.
    out["others_on_host_cores_busy"] = rounded(max(0.0, machine - ours) / wall, 2) if wall else None
    out["usable_cores"] = cores
    out["ours_share_of_usable"] = rounded(ours / wall / cores, 2) if wall else None
    out["machine_share_of_usable"] = rounded(machine / wall / cores, 2) if wall else None
    out["host_saturated"] = bool(wall) and machine / wall >= SATURATED_SHARE * cores
    out["wall_s"] = rounded(wall, 2)
    out |= ceilings(ours, machine, wall, questions, cores)
    return out


def ceilings(
    ours_s: float, machine_s: float, wall_s: float, questions: int, cores: int
) -> dict[str, float | None]:
    """Questions per second if CPU were the only bound, at the measured CPU per question
    (``ours``): on every usable core, and on what other work on the host left over. A
    measured rate at the second ceiling means the host's CPU bounded it."""
    if not (wall_s and questions and ours_s):
        return {"measured_per_s": None, "cpu_ceiling_per_s": None, "cpu_ceiling_left_per_s": None}
    per_question_s = ours_s / questions
    others = max(0.0, machine_s - ours_s) / wall_s
    return {
        "measured_per_s": rounded(questions / wall_s, 2),
        "cpu_ceiling_per_s": rounded(cores / per_question_s, 2),
        "cpu_ceiling_left_per_s": rounded(max(0.0, cores - others) / per_question_s, 2),
    }


def _component(cpu_s: float, wall_s: float, questions: int) -> dict[str, float | None]:
    return {
        "cores_busy": rounded(cpu_s / wall_s, 2) if wall_s else None,
        "cpu_ms_per_question": rounded(cpu_s * 1000 / questions, 1) if questions else None,
    }
