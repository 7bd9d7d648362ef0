"""What the API asks of investigation threads: start one for the key's tenant, answer a
follow-up on one of the tenant's threads. The calls are the CLI's (opsflow_app.client.threads)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from temporalio.client import WorkflowHandle

from opsflow.models import OrchestrationResult
from opsflow_app.api.schemas import AskBody, ThreadCreated, ThreadLinks
from opsflow_app.api.service import Questions, ui_link
from opsflow_app.client.errors import ClientCode, ClientError
from opsflow_app.client.threads import follow_up_for, open_thread, send_follow_up, start_thread


def thread_links(questions: Questions, thread_id: str) -> ThreadLinks:
    return ThreadLinks(
        questions=f"/v1/threads/{thread_id}/questions",
        temporal_ui=ui_link(questions.settings, thread_id),
    )


class Threads:
    """Shares the Questions' Temporal client (one connection per API process)."""

    def __init__(self, questions: Questions) -> None:
        self.questions = questions

    async def start(self, tenant: str) -> ThreadCreated:
        client = await self.questions.client()
        handle = await start_thread(client, tenant, self.questions.settings)
        return ThreadCreated(
            thread_id=handle.id, tenant_id=tenant, links=thread_links(self.questions, handle.id)
        )

    async def owned(self, tenant: str, thread_id: str) -> WorkflowHandle[Any, Any]:
        """The tenant's open thread; another tenant's thread, or a run that is no thread,
        is "not found" (anything else would confirm that the id exists)."""
        client = await self.questions.client()
        try:
            handle, owner = await open_thread(client, thread_id)
        except ClientError as err:
            if err.code == ClientCode.NOT_A_THREAD:
                raise _not_found(thread_id) from err
            raise
        if owner != tenant:
            raise _not_found(thread_id)
        return handle

    async def ask(self, tenant: str, thread_id: str, body: AskBody) -> OrchestrationResult:
        handle = await self.owned(tenant, thread_id)
        at = body.at
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        follow_up = follow_up_for(body.question, tenant, at=at, deadline_s=body.deadline_s)
        result = await send_follow_up(handle, follow_up)
        result.ui_url = ui_link(self.questions.settings, result.workflow_id)
        return result


def _not_found(thread_id: str) -> ClientError:
    return ClientError(ClientCode.THREAD_NOT_FOUND, f"no investigation thread {thread_id}")
