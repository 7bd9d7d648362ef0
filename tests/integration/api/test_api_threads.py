"""Investigation threads over HTTP: ``client.py serve`` in its own process, the real
Temporal dev server, worker and PostgreSQL, called as a chat bot would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from opsflow.models import OrchestrationResult, Status
from opsflow_app.client.threads import close_thread, open_thread
from tests.integration.api.conftest import ACME_KEY, GLOBEX_KEY, ApiServer
from tests.integration.ops.support import TENANT

pytestmark = pytest.mark.integration


async def _new_thread(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post("/v1/threads")
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _ask(http: httpx.AsyncClient, thread_id: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post(f"/v1/threads/{thread_id}/questions", json=body)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}, body
    code: str = body["error"]
    return code


async def test_follow_up_over_http_answers_about_the_focus(
    api_server: ApiServer, seeded: datetime
) -> None:
    async with api_server.client(ACME_KEY) as http:
        created = await _new_thread(http)
        thread_id = created["thread_id"]
        assert thread_id.startswith(f"thread-{TENANT}-") and created["tenant_id"] == TENANT
        assert created["links"]["questions"] == f"/v1/threads/{thread_id}/questions"
        assert created["links"]["temporal_ui"].endswith(f"/workflows/{thread_id}")

        first = await _ask(
            http, thread_id, {"question": "why is payments-api slow?", "at": seeded.isoformat()}
        )
        assert first.status_code == 200, first.text
        answer = OrchestrationResult.model_validate(first.json())
        assert answer.status is Status.SUCCESS, answer.missing
        assert (answer.thread_id, answer.turn, answer.focus_ci) == (thread_id, 1, "payments-api")
        assert answer.ui_url is not None and answer.ui_url.endswith(
            f"/workflows/{thread_id}-turn-1"
        )

        second = await _ask(http, thread_id, {"question": "what changed on it in the last hour?"})
        assert second.status_code == 200, second.text
        body = second.json()
        assert (body["thread_id"], body["turn"], body["focus_ci"]) == (thread_id, 2, "payments-api")
        assert body["context_used"]["asked_question"] == (
            "what changed on payments-api in the last hour?"
        )


async def test_refusals_carry_stable_codes_and_http_statuses(
    api_server: ApiServer, temporal_client: Client
) -> None:
    async with api_server.client(ACME_KEY) as acme, api_server.client(GLOBEX_KEY) as globex:
        thread_id = (await _new_thread(acme))["thread_id"]
        # Refused before any turn runs: the thread's update validator.
        blank = await _ask(acme, thread_id, {"question": "   "})
        assert _error(blank, 422) == "QUESTION_BLANK"
        # Another tenant's thread is not found, exactly as an id that does not exist.
        for who, tid in ((globex, thread_id), (acme, f"thread-{TENANT}-000000000000")):
            refused = await _ask(who, tid, {"question": "why is payments-api slow?"})
            assert _error(refused, 404) == "THREAD_NOT_FOUND"
            assert refused.json()["message"] == f"no investigation thread {tid}"
        bad_body = await _ask(acme, thread_id, {"question": "why?", "tenant_id": "t_globex"})
        assert _error(bad_body, 422) == "VALIDATION_ERROR"

        handle, _ = await open_thread(temporal_client, thread_id)
        await close_thread(handle)
        closed = await _ask(acme, thread_id, {"question": "why is payments-api slow?"})
        assert _error(closed, 409) == "THREAD_CLOSED"

    async with api_server.client(None) as anonymous:
        for call in (
            anonymous.post("/v1/threads"),
            anonymous.post(f"/v1/threads/{thread_id}/questions", json={"question": "why?"}),
        ):
            assert _error(await call, 401) == "UNAUTHORIZED"


async def test_a_question_run_is_not_a_thread(api_server: ApiServer, seeded: datetime) -> None:
    async with api_server.client(ACME_KEY) as http:
        accepted = await http.post(
            "/v1/questions", json={"question": "what depends on payments-db?"}
        )
        assert accepted.status_code == 202, accepted.text
        workflow_id = accepted.json()["workflow_id"]
        refused = await _ask(http, workflow_id, {"question": "and since then?"})
    assert _error(refused, 404) == "THREAD_NOT_FOUND"
