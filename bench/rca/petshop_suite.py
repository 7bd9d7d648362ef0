"""PetShop cases in the ops database: one tenant per issue, one per fault-free history.

Each issue gets its own tenant because its shifted history (see ``bench.rca.petshop``)
overlaps other issues' windows in time. Files are written to a temporary folder and
loaded through the product's importer (``import_telemetry``, the path ``client.py
import`` takes).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import asyncpg

from bench.common import progress
from bench.rca.petshop import (
    STEP_S,
    ImportFiles,
    Issue,
    MetricMapping,
    issue_files,
    issue_window,
    list_issues,
    noissue_files,
    read_edges,
    read_wide,
)
from bench.rca.scoring import Case
from opsflow.db.migrate import migrate
from opsflow.planner.rules import AFTER_MINUTES
from opsflow_app.importer.load import import_telemetry

AskAt = Literal["target", "window_end"]
_SHORT = {
    "low_traffic": "low",
    "high_traffic": "high",
    "temporal_traffic1": "tt1",
    "temporal_traffic2": "tt2",
}


@dataclass(frozen=True)
class FaultFree:
    scenario: str
    tenant: str
    times: list[float]


@dataclass(frozen=True)
class PetshopLoad:
    issues: list[tuple[Issue, str]]  # (issue, its tenant)
    fault_free: list[FaultFree]
    shifts_days: dict[str, int]  # per issue key: how far the history was moved
    samples: int
    seconds: float
    skipped: dict[str, str]  # scenario -> why

    def issue_cases(self, ask_at: AskAt) -> list[Case]:
        return [
            Case(
                suite="petshop",
                group=issue.kind,
                key=issue.key,
                tenant=tenant,
                question=issue.question(),
                at=ask_time(issue, ask_at),
                truth=issue.root_cause,
                scenario=issue.scenario,
            )
            for issue, tenant in self.issues
        ]

    def fault_free_cases(self) -> list[Case]:
        """Both questions ("slow", "unavailable") at every fault-free reference time."""
        out = []
        for ff in self.fault_free:
            for i, ts in enumerate(ff.times):
                at = datetime.fromtimestamp(ts, tz=UTC)
                for kind, word in (("latency", "slow"), ("availability", "unavailable")):
                    out.append(
                        Case(
                            suite="petshop_fault_free",
                            group=kind,
                            key=f"{ff.scenario}/noissue/window_{i}/{kind}",
                            tenant=ff.tenant,
                            question=f"why is PetSite {word}?",
                            at=at,
                            truth=None,
                            scenario=ff.scenario,
                        )
                    )
        return out


def issue_tenant(issue: Issue) -> str:
    return f"t_ps_{_SHORT.get(issue.scenario, issue.scenario)}_{issue.split}_{issue.name}".lower()


def fault_free_tenant(scenario: str) -> str:
    return f"t_ps_{_SHORT.get(scenario, scenario)}_noissue".lower()


def ask_time(issue: Issue, mode: AskAt) -> datetime:
    """``target``: the dataset's ``target.timestamp``. ``window_end``: one row after the
    issue window's last row, when every row of the window is complete and in the past."""
    ts = issue.timestamp if mode == "target" else issue_window(issue)[1] + STEP_S
    return datetime.fromtimestamp(ts, tz=UTC)


def fault_free_times(start: float, end: float, *, count: int, min_history_h: float) -> list[float]:
    """``count`` reference times spread evenly over the fault-free history, the first one
    with ``min_history_h`` hours of it before, the last one at its end."""
    first = start + min_history_h * 3600.0
    if first >= end or count < 1:
        return []
    step = (end - first) / count
    return [first + step * (i + 1) for i in range(count)]


async def load_petshop(
    dsn: str,
    root: Path,
    scenarios: list[str],
    mapping: MetricMapping,
    workdir: Path,
    *,
    history_hours: float,
    fault_free_windows: int,
    issue_limit: int | None = None,
    connections: int = 3,
) -> PetshopLoad:
    """Convert and import every issue (``history_hours`` of shifted history before its
    window) and each scenario's fault-free history as it is."""
    began = time.perf_counter()
    jobs: list[tuple[str, ImportFiles]] = []
    issues: list[tuple[Issue, str]] = []
    fault_free: list[FaultFree] = []
    shifts: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for scenario in scenarios:
        history_path = root / scenario / "noissue" / "metrics.csv"
        if not history_path.is_file():
            skipped[scenario] = "no noissue/ history shipped: nothing to judge a window against"
            progress(f"petshop {scenario}: skipped ({skipped[scenario]})")
            continue
        history = read_wide(history_path)
        edges = read_edges(root / scenario / "graph.csv")
        for issue in list_issues(root, [scenario])[:issue_limit]:
            tenant = issue_tenant(issue)
            files, days = issue_files(
                issue, history, edges, mapping, workdir / tenant, history_hours=history_hours
            )
            jobs.append((tenant, files))
            issues.append((issue, tenant))
            shifts[issue.key] = days
        tenant = fault_free_tenant(scenario)
        jobs.append((tenant, noissue_files(history, edges, mapping, workdir / tenant)))
        times = fault_free_times(
            history.start, history.end, count=fault_free_windows, min_history_h=history_hours
        )
        fault_free.append(FaultFree(scenario, tenant, times))
    progress(f"petshop: importing {len(jobs)} tenants over {connections} connections")
    samples = await _import_all(dsn, jobs, connections)
    return PetshopLoad(issues, fault_free, shifts, samples, time.perf_counter() - began, skipped)


async def _import_all(dsn: str, jobs: list[tuple[str, ImportFiles]], connections: int) -> int:
    """``import_telemetry`` per tenant, ``connections`` at a time. A failed import raises
    out of ``gather``; the other workers finish the tenant they are on and stop with it."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pending = list(reversed(jobs))
    samples = 0
    done = 0

    async def worker() -> None:
        nonlocal samples, done
        own = await asyncpg.connect(dsn)
        try:
            while pending:
                tenant, files = pending.pop()
                stats = await import_telemetry(
                    own, tenant, metrics=files.metrics, graph=files.graph
                )
                samples += stats.samples_written
                done += 1
                if done % 10 == 0 or done == len(jobs):
                    progress(f"petshop: {done}/{len(jobs)} tenants imported")
        finally:
            await own.close()

    await asyncio.gather(*(worker() for _ in range(max(1, connections))))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE ci, ci_relation, metric_sample, metric_rollup")
    finally:
        await conn.close()
    return samples


def petshop_setup(load: PetshopLoad, history_h: float, plan: object) -> dict[str, Any]:
    """What the PetShop figures were measured on, for the JSON's ``setup``."""
    shifts = sorted(set(load.shifts_days.values()))
    return {
        "scenarios_evaluated": sorted({i.scenario for i, _ in load.issues}),
        "scenarios_skipped": load.skipped,
        "tenants": len(load.issues) + len(load.fault_free),
        "samples_imported": load.samples,
        "import_seconds": round(load.seconds, 1),
        "mapping": {
            "latency_p95": "latency p95, seconds -> ms",
            "latency_avg": "latency Average (the statistic target.json names), s -> ms",
            "availability": "availability Average, percent (down is bad)",
            "rps": "requests Sum per 5-min row / 300",
            "edges": "graph.csv row A, column B = 1 -> source A, target B (A depends on B)",
        },
        "history": (
            f"noissue/ (Aug/Sep 2023) shifted by whole days ({shifts} days) to end right "
            f"before each April 2023 issue window, overlap dropped; {history_h:g} h of it kept"
        ),
        "ask_at": "target: the issue's target.timestamp; the planner's metric steps read "
        f"up to {AFTER_MINUTES} min past it (after_minutes, never past the clock)",
        "question": "the issue's own text: why is PetSite slow? / why is PetSite unavailable?",
        "plan": plan,
        "fault_free": "noissue/ as is, own tenant per scenario; both questions at evenly "
        "spread times with the plan's full history before each",
    }
