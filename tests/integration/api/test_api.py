"""The HTTP API as a chat bot or a runbook would call it: ``client.py serve`` in its own
process, an HTTP client, the real Temporal dev server, worker and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any

import pytest
from temporalio.client import Client

from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from tests.integration.api.conftest import ACME_KEY, GLOBEX_KEY, ApiServer
from tests.integration.api.sse import read_events
from tests.integration.ops.support import QUESTION, TENANT, VISIBILITY_WAIT_S, poll
from tests.support.harness import start_question

pytestmark = pytest.mark.integration

ANSWER_WAIT_S = 90.0


async def _ask(
    api: ApiServer, seeded: datetime, key: str = ACME_KEY, question: str = QUESTION
) -> dict[str, Any]:
    async with api.client(key) as http:
        response = await http.post(
            "/v1/questions", json={"question": question, "at": seeded.isoformat()}
        )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _answer(api: ApiServer, workflow_id: str) -> OrchestrationResult:
    """Poll as a client would: 202 with progress while running, then 200 with the result."""
    deadline = time.monotonic() + ANSWER_WAIT_S
    async with api.client() as http:
        while True:
            response = await http.get(f"/v1/questions/{workflow_id}")
            if response.status_code == 200:
                return OrchestrationResult.model_validate(response.json())
            assert response.status_code == 202, response.text
            pending = response.json()
            assert pending["state"] == "running" and "phase" in pending["progress"]
            assert time.monotonic() < deadline, f"{workflow_id} not answered in {ANSWER_WAIT_S}s"
            await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def answered(api_server: ApiServer, seeded: datetime) -> OrchestrationResult:
    accepted = await _ask(api_server, seeded)
    return await _answer(api_server, accepted["workflow_id"])


async def test_post_202_then_get_200_with_a_result(api_server: ApiServer, seeded: datetime) -> None:
    accepted = await _ask(api_server, seeded)
    workflow_id = accepted["workflow_id"]
    assert workflow_id.startswith(f"opsflow-{TENANT}-")
    links = accepted["links"]
    assert links["self"] == f"/v1/questions/{workflow_id}"
    assert links["events"] == f"/v1/questions/{workflow_id}/events"
    assert links["page"] == f"/q/{workflow_id}"
    assert links["temporal_ui"].endswith(f"/workflows/{workflow_id}")
    result = await _answer(api_server, workflow_id)
    assert result.status in set(Status)
    assert result.status is Status.SUCCESS, result.missing
    assert (result.workflow_id, result.tenant_id, result.question) == (
        workflow_id,
        TENANT,
        QUESTION,
    )
    assert result.ui_url == links["temporal_ui"]
    assert result.blocks and result.steps


async def test_event_stream_sends_progress_then_one_result(
    api_server: ApiServer, seeded: datetime
) -> None:
    accepted = await _ask(api_server, seeded)
    async with api_server.client() as http:
        async with http.stream("GET", accepted["links"]["events"]) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = await read_events(response)
    kinds = [e.event for e in events]
    assert kinds.count("result") == 1 and kinds[-1] == "result", kinds
    progress = [e.json() for e in events if e.event == "progress"]
    assert progress and set(kinds) == {"progress", "result"}, kinds
    # The last progress carries every step's final state, the same the result reports.
    result = OrchestrationResult.model_validate(events[-1].json())
    assert result.workflow_id == accepted["workflow_id"]
    assert [s["id"] for s in progress[-1]["steps"]] == [s.id for s in result.steps]
    assert all(s["finished_at"] for s in progress[-1]["steps"])


async def test_another_tenants_question_is_not_found(
    api_server: ApiServer, answered: OrchestrationResult
) -> None:
    async with api_server.client(GLOBEX_KEY) as http:
        for path in (
            f"/v1/questions/{answered.workflow_id}",
            f"/v1/questions/{answered.workflow_id}/events",
        ):
            response = await http.get(path)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"] == "NOT_FOUND"
        # And the same body for an id that does not exist at all: no existence oracle.
        missing = await http.get("/v1/questions/opsflow-t_acme-000000000000")
        assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"


@pytest.mark.parametrize("key", [None, "not-a-key-0123456789abcdef"])
async def test_missing_or_wrong_key_is_401(
    api_server: ApiServer, answered: OrchestrationResult, key: str | None
) -> None:
    async with api_server.client(key) as http:
        calls = [
            http.post("/v1/questions", json={"question": QUESTION}),
            http.get(f"/v1/questions/{answered.workflow_id}"),
            http.get(f"/v1/questions/{answered.workflow_id}/events"),
            http.get("/v1/questions"),
        ]
        for call in calls:
            response = await call
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "UNAUTHORIZED"
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", "body"),
        (b'{"question": ""}', "question"),
        (b'{"question": "   "}', "question"),
        (b'{"question": "why?", "tenant_id": "t_globex"}', "tenant_id"),
        (b'{"question": "why?", "deadline_s": -1}', "deadline_s"),
        (b'{"question": "why?", "at": "yesterday-ish"}', "at"),
    ],
)
async def test_malformed_body_is_422_with_the_error_json(
    api_server: ApiServer, body: bytes, where: str
) -> None:
    async with api_server.client() as http:
        response = await http.post(
            "/v1/questions", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422, response.text
    error = response.json()
    assert set(error) == {"error", "message"}
    assert error["error"] == "VALIDATION_ERROR"
    assert error["message"].startswith(f"{where}:"), error


async def test_list_by_status_shows_only_the_tenants_questions(
    api_server: ApiServer, answered: OrchestrationResult
) -> None:
    async def listed(key: str) -> list[dict[str, Any]]:
        async with api_server.client(key) as http:
            response = await http.get("/v1/questions", params={"status": "success"})
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def mine() -> dict[str, Any] | None:
        rows = await listed(ACME_KEY)
        return next((r for r in rows if r["workflow_id"] == answered.workflow_id), None)

    row = await poll(mine, timeout_s=VISIBILITY_WAIT_S, interval_s=0.5)
    assert row is not None, f"{answered.workflow_id} not listed within {VISIBILITY_WAIT_S}s"
    assert row["status"] == "success" and row["question"] == QUESTION
    assert all(r["status"] == "success" for r in await listed(ACME_KEY))
    assert not any(r["workflow_id"].startswith("opsflow-t_acme-") for r in await listed(GLOBEX_KEY))
    async with api_server.client() as http:
        bad = await http.get("/v1/questions", params={"status": "great"})
    assert bad.status_code == 422 and bad.json()["error"] == "VALIDATION_ERROR"


async def test_health_and_metrics(api_server: ApiServer, answered: OrchestrationResult) -> None:
    async with api_server.client(None) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    assert 'opsflow_api_requests_total{method="POST",route="/v1/questions",status="202"}' in (
        metrics.text
    )
    assert 'opsflow_api_questions_started_total{tenant="t_acme"}' in metrics.text


async def test_key_link_sets_the_cookie_and_redirects_to_the_clean_page(
    api_server: ApiServer, answered: OrchestrationResult
) -> None:
    page = f"/q/{answered.workflow_id}"
    async with api_server.client(None) as http:
        anonymous = await http.get(page)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == f"/login?next={page}"
        link = await http.get(page, params={"key": ACME_KEY})
        assert link.status_code == 303 and link.headers["location"] == page
        cookie = link.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        # httpx keeps the cookie like a browser: the clean URL now renders the answer.
        rendered = await http.get(page)
        assert rendered.status_code == 200, rendered.text
        assert answered.question in rendered.text and 'class="chart"' in rendered.text
        assert 'class="diagnosis"' in rendered.text  # what the analysis could judge
        assert "script-src 'self'" in rendered.headers["content-security-policy"]
        assert rendered.headers["referrer-policy"] == "no-referrer"
        other = await http.get(page, params={"key": GLOBEX_KEY}, follow_redirects=True)
        assert other.status_code == 404


async def test_login_then_ask_from_the_question_box(
    api_server: ApiServer, seeded: datetime
) -> None:
    async with api_server.client(None) as http:
        wrong = await http.post("/login", data={"key": "nope-nope-nope-nope", "next": "/"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        right = await http.post("/login", data={"key": ACME_KEY, "next": "//evil.example/"})
        assert right.status_code == 303 and right.headers["location"] == "/"
        index = await http.get("/")
        assert index.status_code == 200 and 'action="/ask"' in index.text
        form = {"question": QUESTION, "at": seeded.isoformat()}
        foreign = await http.post("/ask", data=form, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        asked = await http.post("/ask", data=form)
        assert asked.status_code == 303 and asked.headers["location"].startswith(
            f"/q/opsflow-{TENANT}-"
        )
        # The page of the question just asked: running (progress) or already answered.
        page = await http.get(asked.headers["location"])
        assert page.status_code == 200 and QUESTION in page.text


async def test_a_run_that_ends_without_an_answer_is_an_error_not_a_result(
    api_server: ApiServer, temporal_client: Client, worker_settings: Settings, seeded: datetime
) -> None:
    # A task queue no worker polls: the run waits, unanswered, until it is terminated.
    idle = worker_settings.model_copy(update={"task_queue": f"idle-{uuid.uuid4().hex[:8]}"})
    handle = await start_question(temporal_client, idle, QUESTION, TENANT, at=seeded)
    async with api_server.client() as http:
        waiting = await http.get(f"/v1/questions/{handle.id}")
        assert waiting.status_code == 202, waiting.text
        assert waiting.json()["progress"]["phase"] == "queued"  # no worker to answer a query
        await handle.terminate("test: ended without an answer")
        ended = await http.get(f"/v1/questions/{handle.id}")
        assert ended.status_code == 500, ended.text
        assert ended.json()["error"] == "WORKFLOW_FAILED"
        async with http.stream("GET", f"/v1/questions/{handle.id}/events") as stream:
            events = await read_events(stream)
    assert [e.event for e in events] == ["error"]
    assert events[0].json()["error"] == "WORKFLOW_FAILED"
