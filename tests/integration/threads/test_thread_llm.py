"""The LLM planner of a follow-up gets the thread's context: the rewritten question and a
fenced ``<thread_context>`` block naming the focus and what earlier answers established."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from temporalio.client import Client

from opsflow.models.thread import CloseRequest
from opsflow.settings import Settings
from tests.fakes.llm_server import FakeLlmServer
from tests.integration.threads.support import ask_turn, new_thread
from tests.support.harness import running_worker
from workflows import InvestigationThreadWorkflow

pytestmark = pytest.mark.integration


def _plan(_: dict[str, Any]) -> str:
    return json.dumps(
        {
            "focus_ci": "payments-api",
            "intent": "what_changed",
            "steps": [
                {"id": "chg", "capability": "event_search", "params": {"ci": "payments-api"}}
            ],
        }
    )


def _user_prompt(request: dict[str, Any]) -> str:
    return str(next(m["content"] for m in request["messages"] if m["role"] == "user"))


async def test_follow_up_plan_prompt_carries_the_thread_context(
    temporal_client: Client, settings: Settings, seeded: datetime
) -> None:
    async with (
        FakeLlmServer(mode="auto", plan_builder=_plan) as server,
        running_worker(
            temporal_client,
            settings,
            openai_api_key="test-key",
            openai_base_url=server.base_url,
            llm_model="fake-model",
            llm_timeout_s=1.0,
        ) as s,
    ):
        thread = await new_thread(temporal_client, s)
        first = await ask_turn(thread, "what changed on payments-api?", at=seeded)
        second = await ask_turn(thread, "and on the same service since then?")
        await thread.execute_update(InvestigationThreadWorkflow.close, CloseRequest())
    assert (first.planner, second.planner) == ("llm", "llm")
    plans = [r for r in server.requests if "<catalog>" in _user_prompt(r)]
    assert len(plans) == 2
    assert "<thread_context>" not in _user_prompt(plans[0])
    follow_up = _user_prompt(plans[1])
    assert "<thread_context>" in follow_up and '"focus_ci":"payments-api"' in follow_up
    assert "<question>\nand on payments-api in the last 1 min?\n</question>" in follow_up
    assert second.focus_ci == "payments-api"
