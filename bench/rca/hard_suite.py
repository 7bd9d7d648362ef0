"""Hard-generator cases in the ops database: one tenant per case, through the importer.

Every case is written to the importer's CSV files (``hard_files``) and loaded with
``import_telemetry`` (what ``client.py import`` runs), metrics, graph, CI types and
events together. Figures are per fault kind, per mechanism and per step.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client

from bench.common import progress
from bench.rca.asking import PlanParams, ask_all
from bench.rca.compare import side_by_side
from bench.rca.hard_files import CaseFiles, write_case
from bench.rca.hard_generator import generate_suite
from bench.rca.hard_model import HardCase
from bench.rca.scoring import Case, Outcome, accuracy, grouped
from opsflow.db.migrate import migrate
from opsflow.settings import Settings
from opsflow_app.importer.load import import_telemetry

# The bar for this generator (issue 13, "Done when").
HARD_TARGETS = {"top1": 0.9, "kind_top1": 0.7}


def hard_tenant(case: HardCase) -> str:
    return "t_hard_" + case.key.replace("/", "_")


def as_case(case: HardCase) -> Case:
    return Case(
        suite="hard",
        group=case.kind.value,
        key=case.key,
        tenant=hard_tenant(case),
        question=case.question,
        at=case.at,
        truth=case.truth,
        scenario=f"{case.fault.value}@{case.step_s}s",
    )


@dataclass(frozen=True)
class HardLoad:
    cases: list[Case]
    hard: list[HardCase]
    samples: int
    seconds: float


async def load_hard(
    dsn: str, per_kind: int, seed: int, workdir: Path, *, connections: int = 3
) -> HardLoad:
    """Generate ``per_kind`` cases of every kind, write and import each into its tenant."""
    began = time.perf_counter()
    hard = generate_suite(per_kind, seed)
    jobs = [(hard_tenant(c), write_case(c, workdir / hard_tenant(c))) for c in hard]
    progress(f"hard: {len(hard)} cases generated, importing over {connections} connections")
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    samples = await _import_all(dsn, jobs, connections)
    return HardLoad([as_case(c) for c in hard], hard, samples, time.perf_counter() - began)


async def _import_all(dsn: str, jobs: list[tuple[str, CaseFiles]], connections: int) -> int:
    """``connections`` importers take tenants from one queue; a failed import raises out
    of ``gather`` and the others stop after the tenant they are on."""
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
                    own,
                    tenant,
                    metrics=files.metrics,
                    graph=files.graph,
                    events=files.events,
                    cis=files.cis,
                )
                samples += stats.samples_written
                done += 1
                if done % 20 == 0 or done == len(jobs):
                    progress(f"hard: {done}/{len(jobs)} tenants imported")
        finally:
            await own.close()

    await asyncio.gather(*(worker() for _ in range(max(1, connections))))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE ci, ci_relation, metric_sample, metric_rollup, event")
    finally:
        await conn.close()
    return samples


def hard_figures(outcomes: list[Outcome]) -> dict[str, Any]:
    overall = accuracy(outcomes)
    by_kind = grouped(outcomes, lambda o: o.case.group)
    worst = min((f["top1"] for f in by_kind.values() if f["top1"] is not None), default=None)
    return {
        **overall,
        "by_fault_kind": by_kind,
        "by_mechanism_and_step": grouped(outcomes, lambda o: o.case.scenario),
        "targets": {
            "top1": {
                "goal": f">= {HARD_TARGETS['top1']}",
                "met": overall["top1"] is not None and overall["top1"] >= HARD_TARGETS["top1"],
            },
            "every_kind_top1": {
                "goal": f">= {HARD_TARGETS['kind_top1']}",
                "worst": worst,
                "met": worst is not None and worst >= HARD_TARGETS["kind_top1"],
            },
        },
    }


def kind_table(figures: dict[str, Any]) -> list[str]:
    """The per-kind figures as Markdown rows (for the README and the report)."""
    rows = ["| kind | n | AC@1 | AC@3 | Avg@5 | empty |", "|---|---|---|---|---|---|"]
    for kind, f in figures["by_fault_kind"].items():
        rows.append(
            f"| {kind} | {f['n']} | {f['top1']} | {f['top3']} | {f['avg5']} | {f['no_candidate']} |"
        )
    rows.append(
        f"| all | {figures['n']} | {figures['top1']} | {figures['top3']} | {figures['avg5']} "
        f"| {figures['no_candidate']} |"
    )
    return rows


async def hard_suite(
    client: Client, settings: Settings, per_kind: int, seed: int, concurrency: int
) -> tuple[dict[str, Any], list[Outcome]]:
    """``per_kind`` cases of every fault kind, each in its own tenant, asked through the
    workflow; figures per kind, with the peer rankers side by side."""
    with tempfile.TemporaryDirectory(prefix="opsflow-hard-") as workdir:
        load = await load_hard(settings.db_dsn or "", per_kind, seed, Path(workdir))
    progress(f"hard: asking {len(load.cases)} questions")
    outcomes = await ask_all(
        client,
        settings,
        load.cases,
        params=lambda _: PlanParams(),
        concurrency=concurrency,
        label="hard",
    )
    figures = hard_figures(outcomes)
    figures["vs_peers"] = side_by_side(outcomes)
    figures["setup"] = {
        "per_kind": per_kind,
        "seed": seed,
        "tenants": len(load.cases),
        "samples_imported": load.samples,
        "load_seconds": round(load.seconds, 1),
        "plan": PlanParams().describe(),
    }
    return figures, outcomes
