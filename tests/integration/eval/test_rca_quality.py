"""Root-cause answer quality on the seed generator's incidents, end to end, offline.

A small fixed-seed form of ``python bench/eval.py``'s synthetic suite: the session's
seeded tenants (seed 7) plus the same three catalogs at two more seeds, loaded as
``t_eval_<catalog>_s<seed>``; every incident's question asked through the real workflow
and worker (rule planner, no LLM) at the seed's end, scored against its ``root_ci``.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import pytest

from bench.rca.asking import PlanParams, ask_all
from bench.rca.baselines import Peer
from bench.rca.scoring import Case, accuracy, leak_report
from bench.rca.synthetic import cases_of, eval_dataset
from opsflow.settings import Settings
from opsflow_app.seed import TENANTS, load_dataset, read_incidents

pytestmark = pytest.mark.integration

EXTRA_SEEDS = (11, 12)
TOP1_MIN = 0.9
TOP3_MIN = 0.98


async def _cases(dsn: str, seeded: datetime) -> list[Case]:
    conn = await asyncpg.connect(dsn)
    try:
        cases = [
            Case(
                suite="synthetic",
                group=inc.kind,
                key=f"{tenant}/{inc.kind}",
                tenant=tenant,
                question=inc.question,
                at=seeded,
                truth=inc.root_ci,
            )
            for tenant in sorted(TENANTS)
            for inc in await read_incidents(conn, tenant)
        ]
        for seed in EXTRA_SEEDS:
            for catalog in sorted(TENANTS):
                ds = eval_dataset(catalog, seed, "small")
                await load_dataset(conn, ds, replace=True)
                cases += cases_of(ds)
    finally:
        await conn.close()
    return cases


@pytest.mark.timeout(120)
async def test_injected_root_causes_rank_first(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    cases = await _cases(worker_settings.db_dsn or "", seeded)
    assert len(cases) == 3 * 3 * (1 + len(EXTRA_SEEDS))

    outcomes = await ask_all(
        temporal_client,
        worker_settings,
        cases,
        params=lambda _: PlanParams(),
        concurrency=8,
        label="rca quality",
    )

    figures = accuracy(outcomes)
    wrong = [o.brief() for o in outcomes if o.rank != 1]
    assert figures["failed"] == 0, wrong
    assert figures["top1"] >= TOP1_MIN, (figures, wrong)
    assert figures["top3"] >= TOP3_MIN, (figures, wrong)
    leaks = leak_report(outcomes)
    assert leaks["tenant_leak"] is False, leaks
    # The peer rankers' input, read back from each workflow's history, is what the
    # workflow itself recorded for its steps.
    unverified = [o.case.key for o in outcomes if o.inputs_verified is not True]
    assert not unverified, unverified
    # Every question is asked at its data's last sample (the session's tenants "now"):
    # BARO still has the bucket holding the reference time to score.
    assert all(o.peers[Peer.BARO] for o in outcomes), [o.listing() for o in outcomes]
