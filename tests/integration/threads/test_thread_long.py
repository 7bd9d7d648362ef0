"""Thirty follow-ups on one thread: it continues as new (default limits) and still answers,
with the context carried into every new run."""

from __future__ import annotations

from datetime import datetime

import pytest
from temporalio.client import Client

from opsflow.models import Status
from opsflow.models.thread import CloseRequest, ThreadLimits
from opsflow.settings import Settings
from tests.integration.threads.support import ask_turn, new_thread
from workflows import InvestigationThreadWorkflow

pytestmark = pytest.mark.integration

TURNS = 30
# Cheap follow-ups (one topology or event step each) keep thirty turns quick.
FOLLOW_UPS = ("what depends on it?", "what does it depend on?", "any alerts on it?")


async def test_thirty_follow_ups_continue_as_new_and_still_answer(
    temporal_client: Client, worker_settings: Settings, seeded: datetime
) -> None:
    thread = await new_thread(temporal_client, worker_settings)
    first = await ask_turn(thread, "what depends on payments-api?", at=seeded)
    assert first.focus_ci == "payments-api"
    for turn in range(2, TURNS + 1):
        result = await ask_turn(thread, FOLLOW_UPS[turn % len(FOLLOW_UPS)])
        assert result.status is not Status.FAILURE, (turn, result.error_message)
        assert (result.turn, result.focus_ci) == (turn, "payments-api")
        assert result.workflow_id == f"{thread.id}-turn-{turn}"

    view = await thread.query(InvestigationThreadWorkflow.state)
    default_turns = ThreadLimits().max_turns_per_run
    assert view.turn == TURNS
    assert view.run_number == TURNS // default_turns + 1 >= 2
    assert view.context.focus_ci == "payments-api"
    assert [t.turn for t in view.turns] == list(range(1, TURNS + 1))

    # Every earlier run ended in continue-as-new; the current one is the thread's handle.
    runs = []
    async for wf in temporal_client.list_workflows(f"WorkflowId = '{thread.id}'"):
        runs.append(wf.status.name if wf.status else "")
    assert runs.count("CONTINUED_AS_NEW") >= 1
    await thread.execute_update(InvestigationThreadWorkflow.close, CloseRequest())
