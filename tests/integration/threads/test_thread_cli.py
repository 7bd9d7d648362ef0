"""The issue's acceptance path through ``client.py``: a thread started by ``ask --thread
new``, a follow-up by id alone, refusals of unknown and closed threads, list, show, chat."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import Any

import pytest

from opsflow.models import OrchestrationResult, Status
from opsflow.models.thread import ThreadView
from opsflow.settings import Settings
from tests.integration.ops.support import REPO_ROOT, VISIBILITY_WAIT_S, child_env, poll, run_cli

pytestmark = pytest.mark.integration


def _error(run: Any) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return str(lines[0])


async def test_ask_in_a_thread_then_follow_up_by_id(
    worker_settings: Settings, seeded: datetime
) -> None:
    env = child_env(worker_settings)
    first_run = await run_cli(
        "ask",
        "why is payments-api slow?",
        "--tenant",
        "t_acme",
        "--thread",
        "new",
        "--json",
        "--at",
        seeded.isoformat(),
        env=env,
    )
    assert first_run.returncode == 0, first_run.stderr
    first = OrchestrationResult.model_validate(json.loads(first_run.stdout))
    thread_id = first.thread_id
    assert thread_id is not None and thread_id.startswith("thread-t_acme-")
    assert (first.turn, first.focus_ci) == (1, "payments-api")

    # No --tenant: the thread knows its own.
    second_run = await run_cli(
        "ask", "what changed on it in the last hour?", "--thread", thread_id, "--json", env=env
    )
    assert second_run.returncode == 0, second_run.stderr
    second = OrchestrationResult.model_validate(json.loads(second_run.stdout))
    assert (second.thread_id, second.turn, second.focus_ci) == (thread_id, 2, "payments-api")
    assert second.status is not Status.FAILURE
    assert second.ui_url is not None and second.ui_url.endswith(f"{thread_id}-turn-2")

    show = await run_cli("threads", "show", thread_id, "--json", env=env)
    assert show.returncode == 0, show.stderr
    view = ThreadView.model_validate(json.loads(show.stdout))
    assert [t.turn for t in view.turns] == [1, 2]

    async def listed() -> dict[str, Any] | None:
        run = await run_cli("threads", "list", "--tenant", "t_acme", "--json", env=env)
        assert run.returncode == 0, run.stderr
        rows: list[dict[str, Any]] = json.loads(run.stdout)
        return next((r for r in rows if r["thread_id"] == thread_id and r["turn"] == 2), None)

    row = await poll(listed, timeout_s=VISIBILITY_WAIT_S, interval_s=0.5)
    assert row is not None and row["focus_ci"] == "payments-api"

    closed = await run_cli("threads", "close", thread_id, env=env)
    assert closed.returncode == 0, closed.stderr
    refused = await run_cli("ask", "and since then?", "--thread", thread_id, "--json", env=env)
    assert refused.returncode == 2
    assert json.loads(refused.stdout)["error"]["code"] == "THREAD_CLOSED"
    assert _error(refused).startswith(f"error: THREAD_CLOSED: investigation thread {thread_id}")


async def test_text_mode_renders_the_answer_and_names_the_thread(
    worker_settings: Settings, seeded: datetime
) -> None:
    run = await run_cli(
        "ask",
        "what depends on payments-db?",
        "--tenant",
        "t_acme",
        "--thread",
        "new",
        "--at",
        seeded.isoformat(),
        env=child_env(worker_settings),
    )
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("thread thread-t_acme-") and last.endswith("turn 1 · focus payments-db")
    assert f"thread {last.split()[1]}" in run.stderr  # named before the answer, too


async def test_unknown_thread_is_refused(worker_settings: Settings) -> None:
    run = await run_cli(
        "ask",
        "is it slow?",
        "--thread",
        "thread-t_acme-000000000000",
        env=child_env(worker_settings),
    )
    assert run.returncode == 4
    assert (
        _error(run) == "error: THREAD_NOT_FOUND: no investigation thread thread-t_acme-000000000000"
    )


async def test_chat_answers_each_line_in_one_thread(
    worker_settings: Settings, seeded: datetime
) -> None:
    lines = "why is payments-api slow?\nwhat depends on it?\n/close\n"
    env = child_env(worker_settings)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO_ROOT / "client.py"),
        "chat",
        "--tenant",
        "t_acme",
        "--json",
        "--at",
        seeded.isoformat(),
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    out, err = await asyncio.wait_for(proc.communicate(lines.encode()), 120)
    assert proc.returncode == 0, err.decode()
    answers = [OrchestrationResult.model_validate_json(line) for line in out.decode().splitlines()]
    assert [(a.turn, a.focus_ci) for a in answers] == [(1, "payments-api"), (2, "payments-api")]
    assert answers[1].context_used is not None
    assert answers[1].context_used.asked_question == "what depends on payments-api?"
    assert len({a.thread_id for a in answers}) == 1
    assert "closed" in err.decode()
