"""Train-Ticket fault cases of the Nezha dataset (``/work/shared/data/nezha-tt``).

Read in place, never copied: one tenant per day, imported with the product's importer
from the day's own ``metrics.csv``, ``graph.csv`` and ``cis.csv`` (what ``client.py import``
does). Each fault of ``cases.json`` is asked about the entry service ``ts-ui-dashboard``
at its ``at`` (180 s after the injection): "slow" for resource and network faults,
"failing" for code faults (the dataset's README; it has no error metric).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client

from bench.common import progress
from bench.rca.asking import PlanParams, ask_all
from bench.rca.compare import side_by_side
from bench.rca.scoring import Case, Outcome, accuracy, grouped
from opsflow.db.migrate import migrate
from opsflow.settings import Settings
from opsflow_app.importer.load import import_telemetry

DEFAULT_ROOT = Path("/work/shared/data/nezha-tt")
ENTRY_CI = "ts-ui-dashboard"


class FaultKind(StrEnum):
    CPU_CONTENTION = "cpu_contention"
    NETWORK_DELAY = "network_delay"
    EXCEPTION = "exception"
    RETURN = "return"


_SLOW = frozenset({FaultKind.CPU_CONTENTION, FaultKind.NETWORK_DELAY})


@dataclass(frozen=True)
class Fault:
    day: str
    at: int  # unix seconds
    root_cause: str
    kind: FaultKind
    index: int  # position in cases.json

    @property
    def question(self) -> str:
        symptom = "slow" if self.kind in _SLOW else "failing"
        return f"why is {ENTRY_CI} {symptom}?"


def day_tenant(day: str) -> str:
    return "t_nz_tt_" + day.replace("-", "")[4:]  # 2023-01-29 -> t_nz_tt_0129


def read_faults(root: Path) -> list[Fault]:
    raw = json.loads((root / "cases.json").read_text())
    return [
        Fault(
            day=str(item["day"]),
            at=int(item["at"]),
            root_cause=str(item["root_cause"]),
            kind=FaultKind(item["type"]),
            index=i,
        )
        for i, item in enumerate(raw)
    ]


def case_of(fault: Fault) -> Case:
    return Case(
        suite="nezha",
        group=fault.kind.value,
        key=f"{fault.day}/{fault.index:02d}/{fault.kind.value}/{fault.root_cause}",
        tenant=day_tenant(fault.day),
        question=fault.question,
        at=datetime.fromtimestamp(fault.at, tz=UTC),
        truth=fault.root_cause,
        scenario=fault.day,
    )


@dataclass(frozen=True)
class NezhaLoad:
    cases: list[Case]
    samples: int
    seconds: float


async def load_nezha(dsn: str, root: Path) -> NezhaLoad:
    """Import every day that has a fault (one tenant each), return the cases."""
    began = time.perf_counter()
    faults = read_faults(root)
    samples = 0
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        for day in sorted({f.day for f in faults}):
            folder = root / day
            stats = await import_telemetry(
                conn,
                day_tenant(day),
                metrics=folder / "metrics.csv",
                graph=folder / "graph.csv",
                cis=folder / "cis.csv",
            )
            samples += stats.samples_written
            progress(f"nezha: {day} imported ({stats.samples_written} samples)")
        await conn.execute("ANALYZE ci, ci_relation, metric_sample, metric_rollup")
    finally:
        await conn.close()
    return NezhaLoad([case_of(f) for f in faults], samples, time.perf_counter() - began)


async def nezha_suite(
    client: Client, settings: Settings, root: Path, concurrency: int
) -> tuple[dict[str, Any], list[Outcome]]:
    # Every fault in both modes: the two imports dominate (~35 s), 45 questions take ~15 s.
    load = await load_nezha(settings.db_dsn or "", root)
    progress(f"nezha: asking {len(load.cases)} questions")
    outcomes = await ask_all(
        client,
        settings,
        load.cases,
        params=lambda _: PlanParams(),
        concurrency=concurrency,
        label="nezha",
    )
    figures: dict[str, Any] = {
        **accuracy(outcomes),
        "by_fault_kind": grouped(outcomes, lambda o: o.case.group),
        "by_day": grouped(outcomes, lambda o: o.case.scenario),
        "vs_peers": side_by_side(outcomes),
        "setup": {
            "root": str(root),
            "faults": len(load.cases),
            "tenants": sorted({c.tenant for c in load.cases}),
            "samples_imported": load.samples,
            "load_seconds": round(load.seconds, 1),
            "import": "the product's importer on each day's metrics.csv, graph.csv, cis.csv "
            "(read in place)",
            "question": f'"why is {ENTRY_CI} slow?" (cpu_contention, network_delay), '
            f'"why is {ENTRY_CI} failing?" (exception, return), at the case\'s at '
            "(180 s after the injection)",
            "plan": PlanParams().describe(),
        },
    }
    return figures, outcomes
