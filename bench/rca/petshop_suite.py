"""PetShop cases in the ops database: one tenant per issue, one per fault-free history.

Each issue gets its own tenant because its shifted history (see ``bench.rca.petshop``)
overlaps other issues' windows in time. Files are written to a temporary folder and
loaded through the product's importer (``import_telemetry``), the path ``client.py
import`` takes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import asyncpg

from bench.common import progress
from bench.rca.petshop import (
    STEP_S,
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
from opsflow.importer.load import import_telemetry

AskAt = Literal["target", "window_end"]
# History kept at import, before each issue window: more than any plan asks for.
IMPORT_HISTORY_HOURS = 26.0
_SHORT = {"low_traffic": "low", "high_traffic": "high",
          "temporal_traffic1": "tt1", "temporal_traffic2": "tt2"}


@dataclass(frozen=True)
class PetshopLoad:
    issue_cases: list[Case]
    fault_free_cases: list[Case]
    shifts_days: dict[str, int]  # per issue key
    samples: int
    seconds: float
    skipped: dict[str, str]  # scenario -> why


def issue_tenant(issue: Issue) -> str:
    return f"t_ps_{_SHORT.get(issue.scenario, issue.scenario)}_{issue.split}_{issue.name}".lower()


def fault_free_tenant(scenario: str) -> str:
    return f"t_ps_{_SHORT.get(scenario, scenario)}_noissue".lower()


def ask_time(issue: Issue, mode: AskAt) -> datetime:
    """``target``: the dataset's ``target.timestamp``. ``window_end``: one row after the
    issue window's last row, when every row of the window is complete and in the past."""
    if mode == "target":
        ts = issue.timestamp
    else:
        ts = issue_window(issue)[1] + STEP_S
    return datetime.fromtimestamp(ts, tz=UTC)


def fault_free_times(start: float, end: float, *, count: int, min_history_h: float) -> list[float]:
    """``count`` reference times spread over the fault-free history, each with at least
    ``min_history_h`` hours of it before, on the rows' own grid."""
    first = start + min_history_h * 3600.0
    if first >= end or count < 1:
        return []
    span = end - first
    step = span / count
    return [first + step * (i + 1) for i in range(count)]


async def load_petshop(
    dsn: str,
    root: Path,
    scenarios: list[str],
    mapping: MetricMapping,
    workdir: Path,
    *,
    ask_at: AskAt,
    fault_free_windows: int,
    issue_limit: int | None = None,
) -> PetshopLoad:
    began = time.perf_counter()
    issue_cases: list[Case] = []
    clean_cases: list[Case] = []
    shifts: dict[str, int] = {}
    skipped: dict[str, str] = {}
    samples = 0
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        for scenario in scenarios:
            history_path = root / scenario / "noissue" / "metrics.csv"
            if not history_path.is_file():
                skipped[scenario] = "no noissue/ history shipped: no baseline to judge against"
                progress(f"petshop {scenario}: skipped ({skipped[scenario]})")
                continue
            history = read_wide(history_path)
            edges = read_edges(root / scenario / "graph.csv")
            issues = list_issues(root, [scenario])[:issue_limit]
            progress(f"petshop {scenario}: importing {len(issues)} issues + fault-free history")
            for issue in issues:
                tenant = issue_tenant(issue)
                files, days = issue_files(issue, history, edges, mapping, workdir / tenant,
                                          history_hours=IMPORT_HISTORY_HOURS)
                stats = await import_telemetry(conn, tenant, metrics=files.metrics,
                                               graph=files.graph)
                samples += stats.samples_written
                shifts[issue.key] = days
                issue_cases.append(Case(
                    suite="petshop", group=issue.kind, key=issue.key, tenant=tenant,
                    question=issue.question(), at=ask_time(issue, ask_at),
                    truth=issue.root_cause, scenario=scenario,
                ))
            tenant = fault_free_tenant(scenario)
            files = noissue_files(history, edges, mapping, workdir / tenant)
            stats = await import_telemetry(conn, tenant, metrics=files.metrics, graph=files.graph)
            samples += stats.samples_written
            times = fault_free_times(history.start, history.end, count=fault_free_windows,
                                     min_history_h=IMPORT_HISTORY_HOURS)
            for i, ts in enumerate(times):
                at = datetime.fromtimestamp(ts, tz=UTC)
                for kind, word in (("latency", "slow"), ("availability", "unavailable")):
                    clean_cases.append(Case(
                        suite="petshop_fault_free", group=kind,
                        key=f"{scenario}/noissue/window_{i}/{kind}", tenant=tenant,
                        question=f"why is PetSite {word}?", at=at, truth=None,
                        scenario=scenario,
                    ))
        await conn.execute("ANALYZE ci, ci_relation, metric_sample")
    finally:
        await conn.close()
    return PetshopLoad(issue_cases, clean_cases, shifts, samples,
                       time.perf_counter() - began, skipped)
