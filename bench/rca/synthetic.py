"""Evaluation tenants from the seed generator: each catalog x several seeds.

``generate_tenant`` only knows the three demo catalogs, so a dataset is generated under
its catalog's tenant id and loaded under an evaluation id (``t_eval_acme_s11``); the
incidents and decoys are the generator's own. Every seed ends at its own instant, so the
time of day (and the seasonal decoy with it) varies between seeds.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.client import Client

from bench.common import progress
from bench.rca.asking import PlanParams, ask_all
from bench.rca.compare import side_by_side
from bench.rca.report import synthetic_figures
from bench.rca.scoring import Case, Outcome
from opsflow.db.migrate import migrate
from opsflow.settings import Settings
from opsflow_app.seed import TENANTS, TenantDataset, generate_tenant, load_dataset

BASE_END = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def eval_tenant_id(catalog: str, seed: int, size: str = "small") -> str:
    # The size is part of the id: the same seed at two sizes is two different tenants.
    suffix = "" if size == "small" else f"_{size}"
    return f"t_eval_{catalog.removeprefix('t_')}_s{seed}{suffix}"


def eval_end(seed: int) -> datetime:
    # 7 h apart: over a handful of seeds the end falls at many different times of day.
    return BASE_END + timedelta(hours=7 * seed)


def eval_dataset(catalog: str, seed: int, size: str) -> TenantDataset:
    ds = generate_tenant(catalog, seed=seed, size=size, end=eval_end(seed))
    return dataclasses.replace(
        ds,
        tenant_id=eval_tenant_id(catalog, seed, size),
        tenant_name=f"{TENANTS[catalog]} (eval seed {seed})",
    )


def cases_of(ds: TenantDataset) -> list[Case]:
    """One case per injected incident: its question (a caller of the root) at the seed's end."""
    return [
        Case(
            suite="synthetic",
            group=inc.kind,
            key=f"{ds.tenant_id}/{inc.kind}",
            tenant=ds.tenant_id,
            question=inc.question,
            at=ds.end,
            truth=inc.root_ci,
            scenario=ds.size.name,
        )
        for inc in ds.incidents
    ]


@dataclass(frozen=True)
class SyntheticLoad:
    cases: list[Case]
    decoys: dict[str, list[str]]  # tenant -> "kind:ci"
    rows: int
    seconds: float


async def load_synthetic(
    dsn: str, catalogs: list[str], seeds: list[int], size: str
) -> SyntheticLoad:
    began = time.perf_counter()
    cases: list[Case] = []
    decoys: dict[str, list[str]] = {}
    rows = 0
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        for seed in seeds:
            for catalog in catalogs:
                ds = eval_dataset(catalog, seed, size)
                stats = await load_dataset(conn, ds, replace=True)
                rows += stats.rows
                cases += cases_of(ds)
                decoys[ds.tenant_id] = [f"{d.kind}:{d.ci}" for d in ds.decoys]
            progress(f"synthetic: seed {seed} loaded ({len(catalogs)} tenants, size {size})")
        await conn.execute("ANALYZE ci, ci_relation, metric_sample, metric_rollup, event")
    finally:
        await conn.close()
    return SyntheticLoad(cases, decoys, rows, time.perf_counter() - began)


async def synthetic_suite(
    client: Client, settings: Settings, seeds_by_size: dict[str, list[int]], concurrency: int
) -> tuple[dict[str, Any], list[Outcome]]:
    """Every incident of each catalog x seed (per size) asked through the workflow."""
    catalogs = sorted(TENANTS)
    cases: list[Case] = []
    decoys = 0
    load_s = 0.0
    for size, seeds in seeds_by_size.items():
        load = await load_synthetic(settings.db_dsn or "", catalogs, seeds, size)
        cases += load.cases
        decoys += sum(len(d) for d in load.decoys.values())
        load_s += load.seconds
    progress(f"synthetic: asking {len(cases)} questions")
    outcomes = await ask_all(
        client,
        settings,
        cases,
        params=lambda _: PlanParams(),
        concurrency=concurrency,
        label="synthetic",
    )
    figures = synthetic_figures(outcomes)
    figures["vs_peers"] = side_by_side(outcomes)
    figures["setup"] = {
        "catalogs": catalogs,
        "seeds_by_size": seeds_by_size,
        "tenants": len({c.tenant for c in cases}),
        "decoys_injected": decoys,
        "plan": PlanParams().describe(),
        "load_seconds": round(load_s, 1),
    }
    return figures, outcomes
