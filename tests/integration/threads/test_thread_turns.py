"""A thread on the real server and database: follow-ups resolve against what earlier
answers established, each turn is a child orchestration, refusals carry a code."""

from __future__ import annotations

from datetime import datetime

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from opsflow.models import ReferenceKind, Status
from opsflow.models.thread import CloseReason, CloseRequest, ThreadStatus
from opsflow.settings import Settings
from tests.integration.threads.support import TENANT, ask_turn, new_thread
from tests.support.harness import history_events
from workflows import InvestigationThreadWorkflow

pytestmark = pytest.mark.integration


async def test_follow_up_resolves_it_to_the_focus_and_runs_a_child(
    temporal_client: Client, worker_settings: Settings, seeded: datetime
) -> None:
    thread = await new_thread(temporal_client, worker_settings)
    first = await ask_turn(thread, "why is payments-api slow?", at=seeded)
    assert first.status is Status.SUCCESS, first.missing
    assert (first.thread_id, first.turn, first.focus_ci) == (thread.id, 1, "payments-api")
    assert first.workflow_id == f"{thread.id}-turn-1"

    second = await ask_turn(thread, "what changed on it in the last hour?")
    assert second.status is not Status.FAILURE, second.error_message
    assert (second.turn, second.focus_ci) == (2, "payments-api")
    used = second.context_used
    assert used is not None
    assert used.asked_question == "what changed on payments-api in the last hour?"
    assert [(s.phrase, s.value, s.kind) for s in used.substitutions] == [
        ("it", "payments-api", ReferenceKind.FOCUS)
    ]
    # The pinned past of the first question carries over to the follow-up.
    assert used.reference_time == seeded == second.reference_time
    assert any(s.capability == "event_search" for s in second.steps)

    third = await ask_turn(thread, "and what does its database depend on?")
    assert third.context_used is not None
    assert third.context_used.substitutions[0].value == "payments-db"
    assert third.focus_ci == "payments-db", "a question about another CI moves the focus"

    view = await thread.query(InvestigationThreadWorkflow.state)
    assert view.turn == 3 and view.context.focus_ci == "payments-db"
    assert {"payments-api", "payments-db"} <= set(view.context.cis)
    assert [t.workflow_id for t in view.turns] == [f"{thread.id}-turn-{n}" for n in (1, 2, 3)]

    events = await history_events(thread)
    children = [
        e["startChildWorkflowExecutionInitiatedEventAttributes"]["workflowType"]["name"]
        for e in events
        if "startChildWorkflowExecutionInitiatedEventAttributes" in e
    ]
    assert children == ["OpsOrchestrationWorkflow"] * 3
    # Each answer has its own execution (and UI page) whose parent is the thread.
    child = await temporal_client.get_workflow_handle(first.workflow_id).describe()
    assert child.parent_id == thread.id

    closed = await thread.execute_update(InvestigationThreadWorkflow.close, CloseRequest())
    assert (closed.status, closed.close_reason) == (ThreadStatus.CLOSED, CloseReason.REQUESTED)
    final = await thread.result()
    assert final.turn == 3


async def test_unresolvable_reference_is_a_failed_turn_without_a_child(
    temporal_client: Client, worker_settings: Settings, seeded: datetime
) -> None:
    thread = await new_thread(temporal_client, worker_settings)
    result = await ask_turn(thread, "what changed on it?", at=seeded)
    assert result.status is Status.FAILURE
    assert result.error_code == "UNRESOLVED_REFERENCE"
    assert result.workflow_id == thread.id and result.turn == 1

    # Within the size limit as typed, over it once "it" is spelled out: a failed turn,
    # not a stuck workflow task, and the thread answers the next one.
    await ask_turn(thread, "what depends on payments-api?")
    padded = "is it slow? " + "z" * 1988
    too_long = await ask_turn(thread, padded)
    assert (too_long.status, too_long.error_code) == (Status.FAILURE, "VALIDATION_ERROR")
    after = await ask_turn(thread, "what does it depend on?")
    assert (after.turn, after.focus_ci, after.status) == (4, "payments-api", Status.SUCCESS)
    await thread.execute_update(InvestigationThreadWorkflow.close, CloseRequest())


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"tenant_id": "t_globex"}, "TENANT_MISMATCH"),
        ({"question": "   "}, "QUESTION_BLANK"),
        ({"question": "x" * 2001}, "QUESTION_TOO_LARGE"),
    ],
    ids=["tenant", "blank", "size"],
)
async def test_validator_refuses_bad_follow_ups(
    temporal_client: Client, worker_settings: Settings, fields: dict[str, str], code: str
) -> None:
    thread = await new_thread(temporal_client, worker_settings)
    question = fields.pop("question", "why is payments-api slow?")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await ask_turn(thread, question, **fields)
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == code
    # Refused by the validator: nothing was written to the thread's history for it.
    view = await thread.query(InvestigationThreadWorkflow.state)
    assert view.turn == 0
    await thread.execute_update(InvestigationThreadWorkflow.close, CloseRequest())


async def test_closed_thread_refuses_follow_ups_and_idle_threads_close(
    temporal_client: Client, worker_settings: Settings
) -> None:
    thread = await new_thread(temporal_client, worker_settings, idle_timeout_s=1.0)
    final = await thread.result()
    assert (final.status, final.close_reason) == (ThreadStatus.CLOSED, CloseReason.IDLE)
    with pytest.raises(RPCError) as refused:
        await ask_turn(thread, "why is payments-api slow?")
    # What a client sees for a finished thread; client.py names it THREAD_CLOSED.
    assert refused.value.status is RPCStatusCode.NOT_FOUND
    assert "completed" in refused.value.message
    assert final.tenant_id == TENANT
