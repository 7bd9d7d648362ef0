"""``history`` exports a run's event history; ``replay`` checks histories against the code."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from opsflow.codec import data_converter
from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.cli.errors import EXIT_NOT_FOUND, CliError

# Beside "events" in an exported file: the run's workflow id. Replay needs it where the
# workflow derives ids from its own (a thread names each turn's child after itself).
WORKFLOW_ID_KEY = "workflowId"


def history_json(workflow_id: str, history: WorkflowHistory) -> str:
    return json.dumps({WORKFLOW_ID_KEY: workflow_id, **history.to_json_dict()}, indent=1)


def load_history(path: Path, raw: dict[str, Any]) -> WorkflowHistory:
    """A history file as exported; files without the id replay under the file's stem."""
    workflow_id = raw.pop(WORKFLOW_ID_KEY, None) or path.stem
    return WorkflowHistory.from_json(str(workflow_id), raw)


async def export_history(settings: Settings, workflow_id: str, output: Path) -> int:
    if not output.parent.is_dir():
        raise CliError("NOT_FOUND", f"{output.parent}: no such directory", EXIT_NOT_FOUND)
    client = await connect(settings)
    try:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise CliError("NOT_FOUND", f"no workflow {workflow_id}", EXIT_NOT_FOUND) from err
        raise
    text = history_json(workflow_id, history)
    await asyncio.to_thread(output.write_text, text)
    return len(history.events)


async def replay_files(settings: Settings, files: list[Path]) -> list[tuple[Path, str | None]]:
    """(file, None) when it replays; (file, reason) when it does not."""
    from workflows import InvestigationThreadWorkflow, OpsOrchestrationWorkflow

    replayer = Replayer(
        workflows=[OpsOrchestrationWorkflow, InvestigationThreadWorkflow],
        data_converter=data_converter(settings),
    )
    outcomes: list[tuple[Path, str | None]] = []
    for path in files:
        if not path.exists():
            raise CliError("NOT_FOUND", f"{path}: no such file", EXIT_NOT_FOUND)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise CliError("VALIDATION_ERROR", f"{path}: not JSON: {err}") from err
        try:
            history = load_history(path, raw)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            # from_json parses protobuf JSON: anything but an exported history lands here.
            raise CliError(
                "VALIDATION_ERROR", f"{path}: not a workflow history ({type(err).__name__})"
            ) from err
        first = history.events[0] if history.events else None
        if first is None or not first.HasField("workflow_execution_started_event_attributes"):
            # The SDK's replayer panics (and hangs) on a history that does not start a run.
            raise CliError(
                "VALIDATION_ERROR", f"{path}: not a workflow history (no start event first)"
            )
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = result.replay_failure
        outcomes.append((path, None if failure is None else f"{type(failure).__name__}: {failure}"))
    return outcomes


def run_replay(settings: Settings, files: list[Path]) -> int:
    outcomes = asyncio.run(replay_files(settings, files))
    bad = 0
    for path, failure in outcomes:
        if failure is None:
            print(f"ok      {path}")
        else:
            bad += 1
            print(f"FAILED  {path}: {failure}")
    return 1 if bad else 0
