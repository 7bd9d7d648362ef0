"""``ask`` as a person runs it: on an 80-column terminal, the steps show as they finish,
then the answer in words. Real worker, real servers; the words checked hold whatever the
analysis ranks."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import pytest
from temporalio.client import Client

from opsflow.settings import Settings
from tests.integration.ops.support import REPO_ROOT, TENANT, child_env, worker_polling
from tests.support.terminal import run_in_terminal

pytestmark = pytest.mark.integration


async def test_ask_shows_steps_then_the_dependents(
    worker_settings: Settings, seeded: datetime, temporal_client: Client
) -> None:
    await worker_polling(temporal_client, worker_settings)
    args = [
        sys.executable,
        str(REPO_ROOT / "client.py"),
        "ask",
        "what depends on payments-db?",
        "--tenant",
        TENANT,
        "--at",
        seeded.isoformat(),
    ]
    # The pty read blocks: off the loop the in-process test worker runs on.
    status, lines = await asyncio.to_thread(
        run_in_terminal, args, columns=80, env=child_env(worker_settings), timeout_s=120
    )
    screen = "\n".join(lines)
    assert status == 0, screen
    assert all(len(line) <= 80 for line in lines), screen
    assert "✓ topology via topology_traverse" in screen, screen
    assert "depend on payments-db" in screen, screen
    assert "• payments-api" in screen, screen
    assert "anomaly" not in screen.lower(), screen
    assert "Traceback" not in screen
