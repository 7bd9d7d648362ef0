"""What the API asks of Temporal: start a question, find a tenant's run, its progress and
its result, list runs. Starting is the call the CLI makes (opsflow_app.client.questions)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from typing import Any

import pydantic
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.exceptions import CancelledError
from temporalio.exceptions import TimeoutError as TemporalTimeout
from temporalio.service import RPCError, RPCStatusCode

from opsflow.contracts import WORKFLOW_NAME
from opsflow.errors import ToolTimeoutError, ValidationError
from opsflow.models import OpsRequest, OrchestrationResult, Progress
from opsflow.names import Phase
from opsflow.search_attributes import OPS_STATUS, TENANT_ID
from opsflow.settings import Settings
from opsflow_app.api.errors import ApiCode, ApiError
from opsflow_app.api.schemas import AskBody, Links, ListedQuestion, ListFilter
from opsflow_app.client.questions import start
from workflows.orchestration import OpsOrchestrationWorkflow

# A query needs a worker to answer; without one it would wait for the server's own timeout.
QUERY_TIMEOUT = timedelta(seconds=5)
LIST_LIMIT_MAX = 200
DESCRIBE_CONCURRENCY = 8

Connector = Callable[[Settings], Awaitable[Client]]

_UNAVAILABLE = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED}
)


def ui_link(settings: Settings, workflow_id: str) -> str:
    namespace = settings.temporal_namespace
    return f"{settings.temporal_ui_url}/namespaces/{namespace}/workflows/{workflow_id}"


def links(settings: Settings, workflow_id: str) -> Links:
    return Links(
        self=f"/v1/questions/{workflow_id}",
        events=f"/v1/questions/{workflow_id}/events",
        page=f"/q/{workflow_id}",
        temporal_ui=ui_link(settings, workflow_id),
    )


@asynccontextmanager
async def temporal_errors(workflow_id: str | None = None) -> AsyncIterator[None]:
    try:
        yield
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND and workflow_id is not None:
            raise ApiError(ApiCode.NOT_FOUND, f"no question {workflow_id}") from err
        if err.status in _UNAVAILABLE:
            raise ApiError(ApiCode.TEMPORAL_UNAVAILABLE, f"Temporal: {err.message}") from err
        raise ApiError(ApiCode.WORKFLOW_FAILED, f"Temporal refused: {err.message}") from err


class Questions:
    """One Temporal client per API process, connected on first use (and again after a
    failed attempt), so the API starts, and says 503, while Temporal is still coming up."""

    def __init__(self, settings: Settings, connector: Connector | None = None) -> None:
        self.settings = settings
        self._connector = connector
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                from opsflow.temporal_client import connect

                try:
                    self._client = await (self._connector or connect)(self.settings)
                except (RuntimeError, ConnectionError) as err:
                    raise ApiError(
                        ApiCode.TEMPORAL_UNAVAILABLE,
                        f"cannot reach Temporal at {self.settings.temporal_address}: {err}",
                    ) from err
        return self._client

    async def healthy(self) -> bool:
        client = await self.client()
        async with temporal_errors():
            return await client.service_client.check_health(timeout=timedelta(seconds=3))

    async def start(self, tenant: str, body: AskBody) -> str:
        at = body.at
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        try:
            request = OpsRequest(
                question=body.question,
                tenant_id=tenant,
                reference_time=at,
                deadline_s=body.deadline_s,
            )
        except pydantic.ValidationError as err:
            # Rules only the workflow's own input knows (a blank question), in the body's names.
            fields = {"reference_time": "at"}
            raise ValidationError(
                "; ".join(
                    f"{fields.get(str(e['loc'][0]), str(e['loc'][0])) if e['loc'] else 'body'}: "
                    f"{e['msg']}"
                    for e in err.errors()
                )
            ) from err
        handle = await start(await self.client(), request, self.settings)
        return handle.id

    async def owned(
        self, tenant: str, workflow_id: str
    ) -> tuple[WorkflowHandle[Any, OrchestrationResult], WorkflowExecutionDescription]:
        """The run if it is a question of ``tenant``; any other run is "not found"."""
        client = await self.client()
        handle = client.get_workflow_handle(workflow_id, result_type=OrchestrationResult)
        async with temporal_errors(workflow_id):
            description = await handle.describe()
        owner = description.typed_search_attributes.get(TENANT_ID)
        if description.workflow_type != WORKFLOW_NAME or owner != tenant:
            raise ApiError(ApiCode.NOT_FOUND, f"no question {workflow_id}")
        return handle, description

    async def progress(self, handle: WorkflowHandle[Any, OrchestrationResult]) -> Progress:
        try:
            return await handle.query(OpsOrchestrationWorkflow.progress, rpc_timeout=QUERY_TIMEOUT)
        except (RPCError, WorkflowQueryFailedError):
            # Before its first workflow task (no worker yet) a run cannot answer queries.
            return Progress(phase=Phase.QUEUED)

    async def result(self, handle: WorkflowHandle[Any, OrchestrationResult]) -> OrchestrationResult:
        async with temporal_errors(handle.id):
            try:
                result = await handle.result()
            except WorkflowFailureError as err:
                cause = err.cause
                if isinstance(cause, CancelledError):
                    raise ApiError(
                        ApiCode.WORKFLOW_CANCELLED, f"{handle.id} was cancelled"
                    ) from err
                if isinstance(cause, TemporalTimeout):
                    raise ApiError(ToolTimeoutError.code, f"{handle.id} timed out") from err
                raise ApiError(ApiCode.WORKFLOW_FAILED, f"{handle.id}: {cause or err}") from err
        result.ui_url = ui_link(self.settings, result.workflow_id)
        return result

    async def listing(
        self, tenant: str, status: ListFilter | None, limit: int
    ) -> list[ListedQuestion]:
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise ValidationError(f"limit: between 1 and {LIST_LIMIT_MAX}")
        # Both values are validated (tenant from the key ring, status an enum): no injection.
        query = f"WorkflowType = '{WORKFLOW_NAME}' AND TenantId = '{tenant}'"
        if status is not None:
            query += f" AND OpsStatus = '{status.value}'"
        client = await self.client()
        found = []
        async with temporal_errors():
            async for wf in client.list_workflows(query, limit=limit):
                found.append(wf)
        # The question is the run's static summary, which only a describe returns.
        gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

        async def question_of(workflow_id: str) -> str | None:
            async with gate:
                try:
                    described = await client.get_workflow_handle(workflow_id).describe()
                except RPCError:
                    return None  # listed, then deleted by retention: show the row without it
                return await described.static_summary()

        questions = await asyncio.gather(*(question_of(wf.id) for wf in found))
        return [
            ListedQuestion(
                workflow_id=wf.id,
                question=question,
                status=wf.typed_search_attributes.get(OPS_STATUS),
                started=wf.start_time,
                execution=wf.status.name.lower() if wf.status else None,
                links=links(self.settings, wf.id),
            )
            for wf, question in zip(found, questions, strict=True)
        ]


def is_running(description: WorkflowExecutionDescription) -> bool:
    return description.status is WorkflowExecutionStatus.RUNNING
