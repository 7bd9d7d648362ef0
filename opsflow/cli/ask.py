"""``ask``: build the request and start the workflow (progress.py follows it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pydantic
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from opsflow.cli.errors import EXIT_BAD_INPUT, EXIT_UNREACHABLE, CliError
from opsflow.models import OpsRequest, OrchestrationResult
from opsflow.search_attributes import OPS_QUESTION, OPS_STATUS, TENANT_ID
from opsflow.settings import Settings
from workflows import OpsOrchestrationWorkflow

# Past the request deadline, aggregation still needs a moment; past this, Temporal stops it.
EXECUTION_SLACK_S = 120


def parse_reference_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise CliError("VALIDATION_ERROR", f"--at {value!r}: not ISO 8601 or unix seconds") from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_request(
    question: str,
    tenant: str,
    *,
    at: str | None = None,
    deadline_s: float = 60.0,
    max_parallel: int = 4,
    require_llm: bool = False,
) -> OpsRequest:
    try:
        return OpsRequest(
            question=question,
            tenant_id=tenant,
            reference_time=parse_reference_time(at),
            deadline_s=deadline_s,
            max_parallel=max_parallel,
            require_llm=require_llm,
        )
    except pydantic.ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise CliError("VALIDATION_ERROR", problems, EXIT_BAD_INPUT) from err


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
    client: Client, request: OpsRequest, settings: Settings
) -> WorkflowHandle[OpsOrchestrationWorkflow, OrchestrationResult]:
    try:
        return await client.start_workflow(
            OpsOrchestrationWorkflow.run,
            request,
            id=workflow_id_for(request),
            task_queue=settings.task_queue,
            execution_timeout=timedelta(seconds=request.deadline_s + EXECUTION_SLACK_S),
            static_summary=request.question,
            search_attributes=TypedSearchAttributes(start_attributes(request, settings)),
        )
    except RPCError as err:
        raise CliError(
            "TEMPORAL_UNAVAILABLE", f"cannot start workflow: {err}", EXIT_UNREACHABLE
        ) from err
