"""Every recorded history replays against the current workflow code, and the replay
check really catches an incompatible change (and accepts one guarded by patched)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.variants import PatchedWorkflow, ReorderedWorkflow
from workflows import OpsOrchestrationWorkflow
from workflows.execution import SINGLE_DEADLINE_TIMER
from workflows.options import LOCAL_PHASES_PATCH
from workflows.orchestration import ERROR_ATTRIBUTE_PATCH, TENANT_METRIC_SOURCE
from workflows.planning import REQUIRED_LLM_REFUSES

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
REPO = Path(__file__).resolve().parents[2]
REQUIRED_PATHS = {
    "success",
    "degraded_fallback",
    "partial_success",
    "failure_unknown_tenant",
    "deadline",
    "cancelled",
    "llm_success",
    "llm_outage_degraded",
}


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))


# v3_: recorded with both patches (single-deadline-timer, local-phase-activities) taken;
# v4_: after both were retired with deprecate_patch. Histories from before the patches
# (v1, v2) were dropped with the branches they covered (docs/DECISIONS.md).
VERSIONS = ("v3", "v4")


def test_every_path_has_a_recorded_history() -> None:
    stems = {p.stem for p in HISTORIES}
    assert stems >= {f"{v}_{name}" for name in REQUIRED_PATHS for v in VERSIONS}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_patch_markers_match_the_recorded_version(path: Path) -> None:
    events = json.loads(path.read_text())["events"]
    patches = set()
    for event in events:
        attrs = event.get("markerRecordedEventAttributes", {})
        if attrs.get("markerName") == "core_patch":
            [payload] = attrs["details"]["patch-data"]["payloads"]
            patches.add(json.loads(base64.b64decode(payload["data"]))["id"])
    # A rejected request never reaches the scheduler, where the deadline patch is checked;
    # the tool context (a local phase) is loaded before planning, so every v3 run has it.
    # deprecate_patch records the same marker, so runs of both versions carry it.
    reaches_execution = not path.stem.endswith(("failure_unknown_tenant", "llm_required_refused"))
    expected = {LOCAL_PHASES_PATCH}
    if reaches_execution:
        expected.add(SINGLE_DEADLINE_TIMER)
    # v5_: runs ending without an answer record why (OpsError); --llm without an LLM refuses.
    if path.stem.startswith("v5_"):
        expected.add(ERROR_ATTRIBUTE_PATCH)
    if path.stem == "v5_llm_required_refused":
        expected.add(REQUIRED_LLM_REFUSES)
    # v6_: the tool context is loaded for the tenant (its metric source) since that patch.
    if path.stem.startswith("v6_"):
        expected.add(TENANT_METRIC_SOURCE)
    assert patches == expected


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[OpsOrchestrationWorkflow], data_converter=pydantic_data_converter
    )
    await replayer.replay_workflow(_history(path))


async def test_replay_fails_on_an_incompatible_change() -> None:
    replayer = Replayer(workflows=[ReorderedWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(_history(HISTORIES[0]), raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower()


async def test_replay_passes_when_the_change_is_patched() -> None:
    replayer = Replayer(workflows=[PatchedWorkflow], data_converter=pydantic_data_converter)
    for path in HISTORIES:
        await replayer.replay_workflow(_history(path))


def test_cli_replay_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "client.py", "replay", *map(str, HISTORIES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("ok ") == len(HISTORIES)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = subprocess.run(
        [sys.executable, "client.py", "replay", str(broken)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "VALIDATION_ERROR" in bad.stderr
