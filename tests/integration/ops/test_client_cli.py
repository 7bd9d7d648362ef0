"""``client.py`` as a script, the way operators and other programs call it: JSON-only
stdout with ``--json``, one-line errors with stable codes, bounded failure when Temporal
is down."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from temporalio.client import Client

from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from opsflow_app.stack._procs import free_port
from tests.integration.ops.support import (
    QUESTION,
    TENANT,
    VISIBILITY_WAIT_S,
    child_env,
    poll,
    run_cli,
    worker_polling,
)

pytestmark = pytest.mark.integration

# The SDK retries a refused connection briefly; the command must still give up quickly.
UNREACHABLE_BOUND_S = 20.0


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {stderr!r}"
    return lines[0]


@pytest.fixture(scope="module")
async def cli_answer(
    worker_settings: Settings, seeded: datetime, temporal_client: Client
) -> OrchestrationResult:
    """One question asked through the CLI against the shared test worker's task queue."""
    await worker_polling(temporal_client, worker_settings)
    run = await run_cli(
        "ask",
        QUESTION,
        "--tenant",
        TENANT,
        "--json",
        "--at",
        seeded.isoformat(),
        env=child_env(worker_settings),
    )
    assert run.returncode == 0, run.stderr
    # --json: stdout is exactly one JSON document, no progress bar or log lines.
    return OrchestrationResult.model_validate(json.loads(run.stdout))


def test_ask_json_prints_only_the_result_with_its_ui_url(
    cli_answer: OrchestrationResult, worker_settings: Settings
) -> None:
    assert cli_answer.status is Status.SUCCESS, cli_answer.missing
    assert (cli_answer.question, cli_answer.tenant_id) == (QUESTION, TENANT)
    assert cli_answer.workflow_id.startswith(f"opsflow-{TENANT}-")
    assert cli_answer.ui_url == (
        f"{worker_settings.temporal_ui_url}/namespaces/default/workflows/{cli_answer.workflow_id}"
    )
    assert cli_answer.steps and cli_answer.blocks


async def test_list_json_includes_the_finished_run(
    cli_answer: OrchestrationResult, worker_settings: Settings
) -> None:
    env = child_env(worker_settings)

    async def listed() -> dict[str, Any] | None:
        run = await run_cli("list", "--tenant", TENANT, "--json", env=env)
        assert run.returncode == 0, run.stderr
        rows: list[dict[str, Any]] = json.loads(run.stdout)
        keys = {"workflow_id", "status", "error", "question", "started", "execution"}
        assert all(set(row) == keys for row in rows)
        return next((r for r in rows if r["workflow_id"] == cli_answer.workflow_id), None)

    row = await poll(listed, timeout_s=VISIBILITY_WAIT_S, interval_s=0.5)
    assert row is not None, f"{cli_answer.workflow_id} not listed within {VISIBILITY_WAIT_S}s"
    assert row["status"] == "success"
    assert row["execution"] == "completed"
    assert row["question"] == QUESTION
    assert row["error"] is None
    datetime.fromisoformat(row["started"])


async def test_ask_empty_question_is_a_validation_error(settings: Settings) -> None:
    # Validation happens before any connection: no worker is needed.
    run = await run_cli("ask", "", "--tenant", TENANT, "--json", env=child_env(settings))
    assert run.returncode != 0
    error = json.loads(run.stdout)["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "question" in error["message"]
    assert _one_line(run.stderr).startswith("error: VALIDATION_ERROR: ")


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
async def test_ask_with_temporal_down_fails_fast_with_a_code(
    settings: Settings, as_json: bool
) -> None:
    closed = f"127.0.0.1:{free_port()}"  # bound then released: nothing listens there
    args = ["ask", QUESTION, "--tenant", TENANT] + (["--json"] if as_json else [])
    run = await run_cli(
        *args, env=child_env(settings, TEMPORAL_ADDRESS=closed), timeout_s=UNREACHABLE_BOUND_S
    )
    assert run.returncode != 0
    assert _one_line(run.stderr).startswith("error: TEMPORAL_UNAVAILABLE: ")
    if as_json:
        assert json.loads(run.stdout)["error"]["code"] == "TEMPORAL_UNAVAILABLE"
    else:
        assert run.stdout == ""
