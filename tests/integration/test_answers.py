"""The real workflow on the real dev server and PostgreSQL, checked against the seed's
ground truth."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import pytest

from opsflow.models import Status, StepStatus
from opsflow.settings import Settings
from opsflow_app.seed import read_incidents
from tests.support.harness import (
    TOOLS,
    activity_timeline,
    ask,
    history_events,
    start_question,
)

pytestmark = pytest.mark.integration


async def _incidents(dsn: str, tenant: str):  # type: ignore[no-untyped-def]
    conn = await asyncpg.connect(dsn)
    try:
        return await read_incidents(conn, tenant)
    finally:
        await conn.close()


@pytest.mark.parametrize("tenant", ["t_acme", "t_globex", "t_initech"])
async def test_why_slow_names_the_injected_root_cause(
    temporal_client, worker_settings: Settings, seeded: datetime, tenant: str
) -> None:
    incidents = await _incidents(worker_settings.db_dsn or "", tenant)
    assert len(incidents) >= 3
    for incident in incidents:
        result = await ask(temporal_client, worker_settings, incident.question, tenant, at=seeded)
        assert result.status is Status.SUCCESS, result.missing
        assert result.root_causes, f"no candidate for {incident.question}"
        assert result.root_causes[0].ci == incident.root_ci, (
            incident.question,
            [c.ci for c in result.root_causes],
        )
        # Every candidate carries the evidence that produced it.
        assert all(c.evidence for c in result.root_causes)
        kinds = {b.kind for b in result.blocks}
        assert {"markdown", "table", "timeseries", "graph"} <= kinds
        assert incident.root_ci in result.summary


async def test_independent_steps_are_scheduled_before_the_first_completes(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    handle = await start_question(
        temporal_client, worker_settings, "why is payments-api slow?", "t_acme", at=seeded
    )
    result = await handle.result()
    assert result.status is Status.SUCCESS
    timeline = [t for t in activity_timeline(await history_events(handle)) if t[1] in TOOLS]
    first_done = next(i for i, t in enumerate(timeline) if t[0] != "scheduled")
    started_together = [t[1] for t in timeline[:first_done]]
    # topology and focus metrics are independent: both scheduled before either completes.
    assert sorted(started_together) == ["metric_query", "topology_traverse"], timeline
    # upstream metrics and changes both depend on topology: scheduled together after it.
    after = [t[1] for t in timeline[first_done:] if t[0] == "scheduled"]
    assert sorted(after) == ["event_query", "metric_query"], timeline


async def test_progress_query_reports_phase_and_steps(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    from opsflow.models import Progress

    handle = await start_question(
        temporal_client, worker_settings, "why is cart-service slow?", "t_acme", at=seeded
    )
    await handle.result()
    progress = await handle.query("progress", result_type=Progress)
    assert progress.phase == "done"
    assert {s.id for s in progress.steps} == {
        "topology",
        "focus_metrics",
        "upstream_metrics",
        "changes",
    }
    assert all(s.status is StepStatus.SUCCEEDED for s in progress.steps)


async def test_top_n_question_runs_validated_sql(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    result = await ask(
        temporal_client,
        worker_settings,
        "top 5 hosts by cpu in the last hour",
        "t_acme",
        at=seeded,
    )
    assert result.status is Status.SUCCESS
    table = next(b for b in result.blocks if b.kind == "table" and b.source_steps == ["top_n"])
    assert 0 < len(table.rows) <= 5
    assert table.columns[0] == "name"


async def test_unknown_tenant_and_foreign_ci_fail_with_codes(
    temporal_client, worker_settings: Settings, seeded: datetime
) -> None:
    unknown = await ask(
        temporal_client, worker_settings, "why is x-api slow?", "t_nobody", at=seeded
    )
    assert unknown.status is Status.FAILURE
    assert unknown.error_code == "UNKNOWN_TENANT"
    assert unknown.steps == []
    # A CI that exists only in t_globex is unknown to t_acme.
    globex = await _incidents(worker_settings.db_dsn or "", "t_globex")
    foreign = await ask(temporal_client, worker_settings, globex[0].question, "t_acme", at=seeded)
    assert foreign.status is Status.FAILURE
    assert foreign.error_code == "UNKNOWN_CI"


async def test_history_export_and_replay_through_the_cli(
    temporal_client, worker_settings: Settings, seeded: datetime, tmp_path
) -> None:
    import os
    import subprocess
    import sys

    handle = await start_question(
        temporal_client, worker_settings, "what depends on orders-db?", "t_acme", at=seeded
    )
    await handle.result()
    env = {**os.environ, "TEMPORAL_ADDRESS": worker_settings.temporal_address or ""}
    out = tmp_path / "run.json"
    exported = subprocess.run(
        [sys.executable, "client.py", "history", handle.id, "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    replayed = subprocess.run(
        [sys.executable, "client.py", "replay", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
