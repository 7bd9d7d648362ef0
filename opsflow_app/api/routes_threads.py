"""Investigation threads under ``/v1/threads``: start one, ask it a follow-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from opsflow.models import OrchestrationResult
from opsflow_app.api.auth import api_tenant
from opsflow_app.api.context import ApiContext, context
from opsflow_app.api.schemas import AskBody, ThreadCreated

router = APIRouter()

Tenant = Annotated[str, Depends(api_tenant)]
Ctx = Annotated[ApiContext, Depends(context)]


@router.post("/v1/threads", status_code=201, response_model=ThreadCreated)
async def start_thread(tenant: Tenant, ctx: Ctx) -> ThreadCreated:
    return await ctx.threads.start(tenant)


@router.post("/v1/threads/{thread_id}/questions", response_model=OrchestrationResult)
async def ask_thread(
    thread_id: str, body: AskBody, tenant: Tenant, ctx: Ctx
) -> OrchestrationResult:
    """Answers when the turn is done (a Temporal Update waits for its result): the JSON
    carries ``thread_id``, ``turn``, ``focus_ci`` and ``context_used``."""
    result = await ctx.threads.ask(tenant, thread_id, body)
    ctx.metrics.questions.labels(tenant).inc()
    return result
