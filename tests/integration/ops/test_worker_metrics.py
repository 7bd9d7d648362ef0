"""``python worker.py`` as operators run it: metrics on its Prometheus endpoint (Temporal
runtime + OpsFlow's own), and a graceful exit on SIGTERM.

The in-process harness worker has no metrics (they are set up by ``worker.run_worker``),
so this test starts the real entry point as a child process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from temporalio.client import Client

from opsflow.models import Status
from opsflow.settings import Settings
from opsflow_app.stack._procs import free_port
from tests.integration.ops.support import QUESTION, REPO_ROOT, TENANT, child_env
from tests.support.harness import ask

pytestmark = pytest.mark.integration

STOP_TIMEOUT_S = 20.0


@asynccontextmanager
async def worker_process(
    env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The worker entry point; the test must stop it itself (that is what it checks)."""
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO_ROOT / "worker.py"),
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            # Only reached when the test failed before its own SIGTERM.
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


async def _scrape(url: str) -> dict[str, list[Sample]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response,
    ):
        assert response.status == 200
        text = await response.text()
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


async def test_worker_exposes_runtime_and_tool_metrics_and_stops_on_sigterm(
    temporal_client: Client, settings: Settings, seeded: datetime, tmp_path: Path
) -> None:
    port = free_port()
    worker_settings = settings.model_copy(update={"task_queue": f"metrics-{uuid.uuid4().hex[:10]}"})
    env = child_env(worker_settings, OPSFLOW_METRICS_PORT=str(port))
    log = tmp_path / "worker.log"
    async with worker_process(env, log) as proc:
        # The workflow waits on the task queue until the child's worker polls it; a worker
        # that dies at start fails the test at once instead of at the ask's timeout.
        asking = asyncio.create_task(
            ask(temporal_client, worker_settings, QUESTION, TENANT, at=seeded)
        )
        exited = asyncio.create_task(proc.wait())
        await asyncio.wait({asking, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not asking.done():
            asking.cancel()
            raise AssertionError(f"worker exited with {proc.returncode}\n{log.read_text()}")
        exited.cancel()
        result = asking.result()
        assert result.status is Status.SUCCESS, (result.missing, log.read_text()[-3000:])

        samples = await _scrape(f"http://127.0.0.1:{port}/metrics")

        # The Temporal runtime's own families, re-exposed through our endpoint.
        assert samples["opsflow_runtime_metrics_up"][0].value == 1.0
        runtime = {name for name in samples if name.startswith("temporal_")}
        for family in (
            "temporal_activity_execution_latency_count",
            "temporal_activity_task_received_total",
            "temporal_workflow_completed_total",
            "temporal_worker_task_slots_available",
        ):
            assert family in runtime, sorted(runtime)
        received = sum(s.value for s in samples["temporal_activity_task_received_total"])
        assert received >= len(result.steps)

        # OpsFlow's tool metrics, one call per successful step on its primary tool.
        calls = {
            (s.labels["tool"], s.labels["outcome"]): s.value
            for s in samples["opsflow_tool_calls_total"]
        }
        assert calls.get(("metric_query", "ok"), 0) >= 1, calls
        assert calls.get(("topology_traverse", "ok"), 0) >= 1, calls
        latency = {s.labels["tool"]: s.value for s in samples["opsflow_tool_latency_seconds_count"]}
        assert latency.get("metric_query", 0) == calls[("metric_query", "ok")]
        buckets = [
            s
            for s in samples["opsflow_tool_latency_seconds_bucket"]
            if s.labels["tool"] == "metric_query" and s.labels["le"] == "+Inf"
        ]
        assert buckets and buckets[0].value == latency["metric_query"]

        proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(proc.wait(), timeout=STOP_TIMEOUT_S)
        except TimeoutError:
            raise AssertionError(
                f"worker ignored SIGTERM for {STOP_TIMEOUT_S}s\n{log.read_text()[-3000:]}"
            ) from None
    output = log.read_text()
    assert code == 0, output[-3000:]
    assert '"worker_stopped"' in output
