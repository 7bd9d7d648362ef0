"""Recorded investigation-thread histories replay against the current code: turns with
child orchestrations, a run that continued as new and the run it carried into, an idle
close, a refused reference, and a turn's child; a changed turn sequence is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from opsflow.models.thread import ThreadStart
from opsflow_app.cli.history_cmd import load_history
from tests.replay.thread_variants import UnresolvedThreadWorkflow
from workflows import InvestigationThreadWorkflow, OpsOrchestrationWorkflow

HISTORIES = sorted((Path(__file__).parent.parent / "histories" / "threads").glob("*.json"))
REQUIRED = {
    "turns",
    "continue_as_new_run1",
    "continue_as_new_run2",
    "idle",
    "unresolved",
    "child_turn",
}


def _history(path: Path) -> WorkflowHistory:
    # The thread names its children after its own id: replay under the recorded id.
    return load_history(path, json.loads(path.read_text()))


def _event_types(path: Path) -> list[str]:
    return [e["eventType"] for e in json.loads(path.read_text())["events"]]


def test_every_thread_path_has_a_recorded_history() -> None:
    assert {p.stem for p in HISTORIES} >= REQUIRED
    assert _event_types(HISTORIES[0])  # files are real exports, not placeholders


def test_the_continue_as_new_pair_is_one_thread_carried_over() -> None:
    folder = HISTORIES[0].parent
    run1 = json.loads((folder / "continue_as_new_run1.json").read_text())["events"]
    run2 = json.loads((folder / "continue_as_new_run2.json").read_text())["events"]
    assert run1[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    started = run2[0]["workflowExecutionStartedEventAttributes"]
    carried = pydantic_data_converter.payload_converter.from_payloads(
        _payloads(started["input"]), [ThreadStart]
    )[0]
    assert isinstance(carried, ThreadStart)
    assert carried.run_number == 2 and carried.turn == 2
    assert carried.context.focus_ci == "payments-api"


def _payloads(raw: dict[str, object]):  # type: ignore[no-untyped-def]
    from google.protobuf.json_format import ParseDict
    from temporalio.api.common.v1 import Payloads

    return list(ParseDict(raw, Payloads()).payloads)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_thread_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[InvestigationThreadWorkflow, OpsOrchestrationWorkflow],
        data_converter=pydantic_data_converter,
    )
    await replayer.replay_workflow(_history(path))


async def test_replay_catches_a_changed_turn() -> None:
    replayer = Replayer(
        workflows=[UnresolvedThreadWorkflow], data_converter=pydantic_data_converter
    )
    path = next(p for p in HISTORIES if p.stem == "turns")
    result = await replayer.replay_workflow(_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower()
