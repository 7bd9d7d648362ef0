"""What an engineer sees of a finished run: the Temporal UI page in a real headless
Chromium, and the same facts through the Temporal API (summary, activity summaries,
search attributes, visibility queries)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from opsflow.models import OrchestrationResult, Status
from opsflow.search_attributes import OPS_STATUS, TENANT_ID
from opsflow.settings import Settings
from tests.integration.ops.support import (
    ARTIFACTS,
    QUESTION,
    TENANT,
    VISIBILITY_WAIT_S,
    poll,
)
from tests.support import chromium
from tests.support.harness import TOOLS, start_question

pytestmark = pytest.mark.integration

CHROMIUM = chromium.CHROMIUM
# Virtual time lets the UI's timers run ahead while Chromium still waits for the real
# network fetches; a longer budget is only tried when the first render lacks the history.
VIRTUAL_TIME_BUDGETS_MS = (8_000, 20_000)
SCREENSHOT = ARTIFACTS / "temporal-ui-workflow.png"
PNG_SIGNATURE = chromium.PNG_SIGNATURE


@dataclass(frozen=True)
class FinishedRun:
    handle: WorkflowHandle[Any, OrchestrationResult]
    result: OrchestrationResult

    @property
    def tools(self) -> set[str]:
        """Tools whose activities ran in this run (every tool tried, fallbacks included)."""
        return {tool for step in self.result.steps for tool in step.tools_tried}


@pytest.fixture(scope="module")
async def finished_run(
    temporal_client: Client, worker_settings: Settings, seeded: datetime
) -> FinishedRun:
    handle = await start_question(temporal_client, worker_settings, QUESTION, TENANT, at=seeded)
    result = await asyncio.wait_for(handle.result(), timeout=60)
    assert result.status is Status.SUCCESS, result.missing
    return FinishedRun(handle, result)


async def _render(url: str, profile: Path, budget_ms: int) -> str:
    """One headless Chromium run: the rendered DOM on stdout, the screenshot to a file."""
    return await chromium.render(url, profile=profile, screenshot=SCREENSHOT, budget_ms=budget_ms)


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent (Debian package `chromium`; .ci/run installs it)",
)
async def test_ui_page_shows_the_tool_activities(
    finished_run: FinishedRun, worker_settings: Settings, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    url = f"{worker_settings.temporal_ui_url}/namespaces/default/workflows/{finished_run.handle.id}"
    tools = finished_run.tools
    assert {"topology_traverse", "metric_query"} <= tools, tools
    # The UI's timeline labels each activity "<activity type> • <user-metadata summary>",
    # and our summaries start with "<tool> [<tenant>]": both come from the event history.
    expected = {tool: f"{tool} [{TENANT}]" for tool in tools}
    dom = ""
    for attempt, budget in enumerate(VIRTUAL_TIME_BUDGETS_MS):
        dom = await _render(url, tmp_path / f"profile-{attempt}", budget)
        if all(summary in dom for summary in expected.values()):
            break
    (ARTIFACTS / "temporal-ui-workflow.html").write_text(dom, encoding="utf-8")
    assert finished_run.handle.id in dom, "the UI did not render the workflow page"
    missing = {tool for tool, summary in expected.items() if summary not in dom}
    assert not missing, f"activities missing from the rendered UI page: {missing} ({url})"
    image = SCREENSHOT.read_bytes()
    assert image.startswith(PNG_SIGNATURE) and len(image) > 20_000, "blank or missing screenshot"


async def test_api_shows_summary_activity_summaries_and_search_attributes(
    finished_run: FinishedRun, temporal_client: Client
) -> None:
    handle, result = finished_run.handle, finished_run.result
    description = await handle.describe()
    assert await description.static_summary() == QUESTION
    attributes = description.typed_search_attributes
    assert attributes.get(TENANT_ID) == TENANT
    assert attributes.get(OPS_STATUS) == result.status.value == "success"

    history = await handle.fetch_history()
    converter = temporal_client.data_converter
    summaries: dict[str, list[str]] = {}
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        tool = event.activity_task_scheduled_event_attributes.activity_type.name
        if tool not in TOOLS:
            continue
        assert event.user_metadata.HasField("summary"), f"{tool} scheduled without a summary"
        [summary] = await converter.decode([event.user_metadata.summary], [str])
        summaries.setdefault(tool, []).append(summary)
    assert set(summaries) == finished_run.tools
    for tool, texts in summaries.items():
        assert all(text.startswith(f"{tool} [{TENANT}]") for text in texts), texts

    query = f"TenantId = '{TENANT}' AND OpsStatus = 'success'"

    async def listed() -> bool | None:
        async for wf in temporal_client.list_workflows(query):
            if wf.id == handle.id:
                return True
        return None

    assert await poll(listed, timeout_s=VISIBILITY_WAIT_S), (
        f"{handle.id} not found by {query!r} within {VISIBILITY_WAIT_S}s"
    )
