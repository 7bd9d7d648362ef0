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
from workflows.orchestration import ERROR_ATTRIBUTE_PATCH, TENANT_METRIC_SOURCE
from workflows.planning import LOCAL_RULE_PLANNING, REQUIRED_LLM_REFUSES

# Retired patches: their code branches are gone, but v4_/v6_ histories carry their
# (deprecated) markers, which replay ignores.
SINGLE_DEADLINE_TIMER = "single-deadline-timer"
LOCAL_PHASES_PATCH = "local-phase-activities"
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


# v4_: recorded after single-deadline-timer and local-phase-activities were retired with
# deprecate_patch (their markers are deprecated, so they replay now that the calls are
# removed too). v1-v3 (taken or pre-patch branches) and v5 (recorded with the
# local-phase marker not yet deprecated) were dropped with the retirement: no run lives
# longer than its deadline plus two minutes (docs/DECISIONS.md).
VERSIONS = ("v4",)


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
    # A rejected request never reaches the scheduler, where the deadline timer lives; the
    # tool context (a local phase) is loaded before planning.
    reaches_execution = not path.stem.endswith(("failure_unknown_tenant", "llm_required_refused"))
    expected: set[str] = set()
    if path.stem.startswith(("v4_", "v6_")):
        expected.add(LOCAL_PHASES_PATCH)
        if reaches_execution:
            expected.add(SINGLE_DEADLINE_TIMER)
    # v6_ on: the tool context is loaded for the tenant (its metric source).
    if path.stem.startswith(("v6_", "v7_", "v8_")):
        expected.add(TENANT_METRIC_SOURCE)
    # v7_: runs ending without an answer record why (OpsError); --llm without an LLM refuses.
    if path.stem.startswith("v7_"):
        expected.add(ERROR_ATTRIBUTE_PATCH)
    if path.stem == "v7_llm_required_refused":
        expected.add(REQUIRED_LLM_REFUSES)
    # v8_: planning without an LLM is a local activity (the fallback and partial paths run
    # a plan override: no planning at all).
    if path.stem.startswith("v8_"):
        if path.stem.endswith("failure_unknown_tenant"):
            expected.add(ERROR_ATTRIBUTE_PATCH)
        if not path.stem.endswith(("degraded_fallback", "partial_success")):
            expected.add(LOCAL_RULE_PLANNING)
    assert patches == expected


def _scheduled_and_local(path: Path) -> tuple[list[str], list[str]]:
    """Names of the ordinary activities scheduled and of the local activities recorded."""
    events = json.loads(path.read_text())["events"]
    scheduled, local = [], []
    for event in events:
        attrs = event.get("activityTaskScheduledEventAttributes")
        if attrs is not None:
            scheduled.append(attrs["activityType"]["name"])
        marker = event.get("markerRecordedEventAttributes", {})
        if marker.get("markerName") == "core_local_activity":
            [payload] = marker["details"]["data"]["payloads"]
            local.append(json.loads(base64.b64decode(payload["data"]))["activity_type"])
    return scheduled, local


@pytest.mark.parametrize(
    ("stem", "planner"), [("v8_success", "plan_request"), ("v8_llm_outage_degraded", "rule_plan")]
)
def test_planning_without_an_llm_is_local_since_the_patch(stem: str, planner: str) -> None:
    path = HISTORIES[[p.stem for p in HISTORIES].index(stem)]
    scheduled, local = _scheduled_and_local(path)
    assert planner in local and planner not in scheduled
    # Before the patch the same run scheduled it as an ordinary activity.
    before, _ = _scheduled_and_local(path.with_name(f"v4_{stem.removeprefix('v8_')}.json"))
    assert planner in before


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
