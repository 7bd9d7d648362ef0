"""Start one question: the workflow id, the search attributes and the execution timeout
every front end uses (progress and results are read by each front end its own way)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from opsflow.models import OpsRequest, OrchestrationResult
from opsflow.search_attributes import OPS_QUESTION, OPS_STATUS, TENANT_ID
from opsflow.settings import Settings
from opsflow_app.client.errors import ClientCode, ClientError
from workflows import OpsOrchestrationWorkflow

# Past the request deadline, aggregation still needs a moment; past this, Temporal stops it.
EXECUTION_SLACK_S = 120


def start_attributes(request: OpsRequest, settings: Settings) -> list[SearchAttributePair[str]]:
    pairs = [
        SearchAttributePair(TENANT_ID, request.tenant_id),
        SearchAttributePair(OPS_STATUS, "running"),
    ]
    # Search attributes bypass the codec: with encrypted payloads the question stays in
    # the (encrypted) summary only, and `list` reads it from there.
    if not settings.codec_keys:
        pairs.append(SearchAttributePair(OPS_QUESTION, request.question))
    return pairs


def workflow_id_for(request: OpsRequest) -> str:
    return f"opsflow-{request.tenant_id}-{uuid.uuid4().hex[:12]}"


async def start(
    client: Client, request: OpsRequest, settings: Settings, *, eager: bool = False
) -> WorkflowHandle[OpsOrchestrationWorkflow, OrchestrationResult]:
    """``eager``: this process hosts a worker on ``client`` for the task queue (demo, bench),
    so the server may hand the first workflow task back with the start's reply."""
    try:
        return await client.start_workflow(
            OpsOrchestrationWorkflow.run,
            request,
            id=workflow_id_for(request),
            task_queue=settings.task_queue,
            execution_timeout=timedelta(seconds=request.deadline_s + EXECUTION_SLACK_S),
            static_summary=request.question,
            search_attributes=TypedSearchAttributes(start_attributes(request, settings)),
            request_eager_start=eager,
        )
    except RPCError as err:
        raise ClientError(ClientCode.TEMPORAL_UNAVAILABLE, f"cannot start workflow: {err}") from err
