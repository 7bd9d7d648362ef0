"""Telemetry import through the CLI, then a question about the past (``--at``) whose
answer comes from the imported data alone."""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsflow.settings import Settings

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
AT = datetime(2023, 4, 18, 22, 0, tzinfo=UTC)


def _write_telemetry(folder: Path) -> None:
    rng = random.Random(5)
    lines = ["ts,ci,metric,value"]
    onset = AT - timedelta(minutes=25)
    for minute in range(8 * 60):
        ts = AT - timedelta(minutes=8 * 60 - minute)
        season = 1 + 0.1 * math.sin(minute / 60)
        broken = ts >= onset
        db = 20 * season * (6 if broken else 1) + rng.gauss(0, 1)
        api = 40 * season + (db - 20) * 0.8 + rng.gauss(0, 2)
        web = 60 * season + (api - 40) * 0.9 + rng.gauss(0, 2)
        stamp = str(int(ts.timestamp())) if minute % 2 else ts.isoformat()
        for ci, value in (("shop-web", web), ("shop-api", api), ("shop-db", db)):
            lines.append(f"{stamp},{ci},latency_p95,{value:.3f}")
        lines.append(
            f"{stamp},shop-db,queue_depth_custom,{(50 if broken else 5) + rng.gauss(0, 1):.2f}"
        )
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    (folder / "graph.csv").write_text("source,target\nshop-web,shop-api\nshop-api,shop-db\n")
    (folder / "events.csv").write_text(
        "ts,ci,kind,severity,message\n"
        f"{(onset - timedelta(minutes=2)).isoformat()},shop-db,config_change,info,"
        "max_connections lowered\n"
        f"{(AT - timedelta(hours=6)).isoformat()},shop-web,deploy,info,routine web deploy\n"
    )
    (folder / "cis.csv").write_text(
        "name,ci_type\nshop-web,service\nshop-api,service\nshop-db,database\n"
    )


def _cli(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPSFLOW_DB_DSN": settings.db_dsn or "",
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
        "OPSFLOW_TASK_QUEUE": settings.task_queue,
    }
    return subprocess.run(
        [sys.executable, "client.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_import_then_ask_about_the_past(worker_settings: Settings, tmp_path: Path) -> None:
    _write_telemetry(tmp_path)
    args = ["import", "--tenant", "t_imported", "--json"] + [
        f"--{name}={tmp_path / (name + '.csv')}" for name in ("metrics", "graph", "events", "cis")
    ]
    first = await asyncio.to_thread(_cli, args, worker_settings)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["samples_written"] == 8 * 60 * 4
    again = await asyncio.to_thread(_cli, args, worker_settings)
    assert again.returncode == 0 and json.loads(again.stdout)["samples_written"] == 0

    answer = await asyncio.to_thread(
        _cli,
        [
            "ask",
            "why is shop-web slow?",
            "--tenant",
            "t_imported",
            "--json",
            "--at",
            AT.isoformat().replace("+00:00", "Z"),
        ],
        worker_settings,
    )
    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    assert result["status"] == "success"
    assert result["reference_time"].startswith("2023-04-18T22:00")
    assert result["root_causes"][0]["ci"] == "shop-db"
    evidence = json.dumps(result["root_causes"][0]["evidence"])
    assert "max_connections lowered" in evidence or "config_change" in evidence
    assert result["ui_url"].endswith(result["workflow_id"])


async def test_bad_row_fails_the_import_with_its_line_and_loads_nothing(
    worker_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "metrics.csv").write_text(
        "ts,ci,metric,value\n1681855200,a-svc,latency_p95,1.0\n1681855260,a-svc,latency_p95,fast\n"
    )
    done = await asyncio.to_thread(
        _cli,
        ["import", "--tenant", "t_badimport", "--metrics", str(tmp_path / "metrics.csv")],
        worker_settings,
    )
    assert done.returncode != 0
    assert "IMPORT_BAD_ROW" in done.stderr and "line 3" in done.stderr
    unknown = await asyncio.to_thread(
        _cli, ["ask", "why is a-svc slow?", "--tenant", "t_badimport", "--json"], worker_settings
    )
    assert json.loads(unknown.stdout)["error_code"] == "UNKNOWN_TENANT"
