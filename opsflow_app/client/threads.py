"""Talking to investigation threads: start one, send a follow-up, close, read its state.

Every refusal becomes a ``ClientError`` with a stable code: an unknown thread
(``THREAD_NOT_FOUND``), a closed one (``THREAD_CLOSED``), a workflow that is not a thread
(``NOT_A_THREAD``), and whatever the thread's update validator refused (its code).
"""

from __future__ import annotations

import uuid
from typing import Any

import pydantic
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from opsflow.errors import ValidationError
from opsflow.models import OrchestrationResult
from opsflow.models.thread import (
    THREAD_WORKFLOW_NAME,
    CloseRequest,
    FollowUp,
    ThreadLimits,
    ThreadStart,
    ThreadView,
)
from opsflow.search_attributes import TENANT_ID
from opsflow.settings import Settings
from opsflow.tenant_id import is_tenant_id
from opsflow.threads.validate import RefusalCode
from opsflow_app.client.errors import ClientCode, ClientError
from workflows.thread import InvestigationThreadWorkflow

NEW_THREAD = "new"
UPDATE_ASK = "ask"
UPDATE_CLOSE = "close"
# Refusals of the thread itself (a closed thread is "not found" to an update RPC).
_CLOSED_STATES = frozenset(
    {
        WorkflowExecutionStatus.COMPLETED,
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.CANCELED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
    }
)


def check_tenant(tenant: str) -> str:
    """Tenant ids go into visibility queries: only the documented shape is accepted."""
    if not is_tenant_id(tenant):
        raise ValidationError(f"tenant id {tenant!r} is not valid")
    return tenant


def thread_id_for(tenant: str) -> str:
    return f"thread-{tenant}-{uuid.uuid4().hex[:12]}"


async def start_thread(
    client: Client, tenant: str, settings: Settings, limits: ThreadLimits | None = None
) -> WorkflowHandle[Any, ThreadView]:
    check_tenant(tenant)
    if limits is None:
        limits = ThreadLimits(
            idle_timeout_s=settings.thread_idle_timeout_s,
            max_turns_per_run=settings.thread_max_turns_per_run,
        )
    try:
        return await client.start_workflow(
            THREAD_WORKFLOW_NAME,
            ThreadStart(tenant_id=tenant, limits=limits),
            id=thread_id_for(tenant),
            task_queue=settings.task_queue,
            result_type=ThreadView,
            static_summary=f"investigation thread [{tenant}]",
            search_attributes=_tenant_attributes(tenant),
        )
    except RPCError as err:
        raise ClientError(ClientCode.TEMPORAL_UNAVAILABLE, f"cannot start a thread: {err}") from err


def _tenant_attributes(tenant: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(TENANT_ID, tenant)])


async def open_thread(client: Client, thread_id: str) -> tuple[WorkflowHandle[Any, Any], str]:
    """The running thread's handle and tenant; refused when unknown, closed or not a thread."""
    handle = client.get_workflow_handle(thread_id, result_type=ThreadView)
    try:
        description = await handle.describe()
    except RPCError as err:
        raise _rpc_error(err, thread_id) from err
    if description.workflow_type != THREAD_WORKFLOW_NAME:
        raise ClientError(
            ClientCode.NOT_A_THREAD,
            f"{thread_id} is a {description.workflow_type}, not an investigation thread",
        )
    if description.status in _CLOSED_STATES:
        raise ClientError(RefusalCode.THREAD_CLOSED, f"investigation thread {thread_id} is closed")
    tenant = description.typed_search_attributes.get(TENANT_ID)
    if tenant is None:
        raise ClientError(ClientCode.NOT_A_THREAD, f"{thread_id} carries no tenant")
    return handle, tenant


def follow_up_for(
    question: str,
    tenant: str,
    *,
    at: Any = None,
    deadline_s: float = 60.0,
    max_parallel: int = 4,
    require_llm: bool = False,
) -> FollowUp:
    try:
        return FollowUp(
            question=question,
            tenant_id=tenant,
            at=at,
            deadline_s=deadline_s,
            max_parallel=max_parallel,
            require_llm=require_llm,
        )
    except pydantic.ValidationError as err:
        raise ValidationError(str(err.errors()[0]["msg"])) from err


async def send_follow_up(
    handle: WorkflowHandle[Any, Any], follow_up: FollowUp
) -> OrchestrationResult:
    """Run one turn; the update id makes a retried RPC the same turn, not a second one."""
    try:
        result: OrchestrationResult = await handle.execute_update(
            UPDATE_ASK,
            follow_up,
            id=f"ask-{uuid.uuid4().hex}",
            result_type=OrchestrationResult,
        )
    except WorkflowUpdateFailedError as err:
        raise _refusal(err, handle.id) from err
    except RPCError as err:
        raise _rpc_refusal(err, handle.id) from err
    return result


async def close_thread(handle: WorkflowHandle[Any, Any]) -> ThreadView:
    try:
        view: ThreadView = await handle.execute_update(
            UPDATE_CLOSE, CloseRequest(reason="closed from the client"), result_type=ThreadView
        )
    except WorkflowUpdateFailedError as err:
        raise _refusal(err, handle.id) from err
    except RPCError as err:
        raise _rpc_refusal(err, handle.id) from err
    return view


async def thread_view(client: Client, thread_id: str) -> ThreadView:
    """A running thread's live state; a finished thread's final state (its result)."""
    handle = client.get_workflow_handle(thread_id, result_type=ThreadView)
    try:
        description = await handle.describe()
        if description.workflow_type != THREAD_WORKFLOW_NAME:
            raise ClientError(
                ClientCode.NOT_A_THREAD, f"{thread_id} is not an investigation thread"
            )
        if description.status is WorkflowExecutionStatus.RUNNING:
            view: ThreadView = await handle.query(InvestigationThreadWorkflow.state)
            return view
        final: ThreadView = await handle.result()
        return final
    except RPCError as err:
        raise _rpc_error(err, thread_id) from err


def _rpc_error(err: RPCError, thread_id: str) -> ClientError:
    if err.status is RPCStatusCode.NOT_FOUND:
        return ClientError(ClientCode.THREAD_NOT_FOUND, f"no investigation thread {thread_id}")
    return ClientError(ClientCode.TEMPORAL_UNAVAILABLE, str(err))


def _refusal(err: WorkflowUpdateFailedError, thread_id: str) -> ClientError:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type:
        return ClientError(cause.type, f"{thread_id}: {cause.message}")
    return ClientError(ClientCode.UPDATE_FAILED, f"{thread_id}: {cause or err}")


def _rpc_refusal(err: RPCError, thread_id: str) -> ClientError:
    # The server answers an update to a finished workflow with NOT_FOUND ("workflow
    # execution already completed"): the thread was closed between describe and update.
    if err.status is RPCStatusCode.NOT_FOUND:
        return ClientError(RefusalCode.THREAD_CLOSED, f"investigation thread {thread_id} is closed")
    return ClientError(ClientCode.TEMPORAL_UNAVAILABLE, str(err))
