"""The JSON API under ``/v1`` plus ``/healthz`` and ``/metrics``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sse_starlette import EventSourceResponse

from opsflow.models import OrchestrationResult
from opsflow_app.api.auth import api_tenant
from opsflow_app.api.context import ApiContext, context
from opsflow_app.api.errors import ApiError
from opsflow_app.api.events import question_events
from opsflow_app.api.schemas import Accepted, AskBody, ListedQuestion, ListFilter, Pending
from opsflow_app.api.service import is_running, links

router = APIRouter()

Tenant = Annotated[str, Depends(api_tenant)]
Ctx = Annotated[ApiContext, Depends(context)]


@router.post("/v1/questions", status_code=202, response_model=Accepted)
async def ask(body: AskBody, tenant: Tenant, ctx: Ctx) -> Accepted:
    workflow_id = await ctx.questions.start(tenant, body)
    ctx.metrics.questions.labels(tenant).inc()
    return Accepted(workflow_id=workflow_id, links=links(ctx.settings, workflow_id))


@router.get(
    "/v1/questions/{workflow_id}",
    response_model=OrchestrationResult,
    responses={202: {"model": Pending, "description": "still running"}},
)
async def question(
    workflow_id: str, tenant: Tenant, ctx: Ctx
) -> OrchestrationResult | JSONResponse:
    handle, description = await ctx.questions.owned(tenant, workflow_id)
    if is_running(description):
        pending = Pending(
            workflow_id=workflow_id,
            progress=await ctx.questions.progress(handle),
            links=links(ctx.settings, workflow_id),
        )
        return JSONResponse(pending.model_dump(mode="json"), status_code=202)
    return await ctx.questions.result(handle)


@router.get("/v1/questions/{workflow_id}/events")
async def question_stream(workflow_id: str, tenant: Tenant, ctx: Ctx) -> EventSourceResponse:
    handle, description = await ctx.questions.owned(tenant, workflow_id)
    events = question_events(ctx.questions, handle, running=is_running(description))
    # ping: proxies drop idle streams; planning can be quiet for a while.
    return EventSourceResponse(events, ping=15)


@router.get("/v1/questions", response_model=list[ListedQuestion])
async def questions(
    tenant: Tenant,
    ctx: Ctx,
    status: ListFilter | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ListedQuestion]:
    return await ctx.questions.listing(tenant, status, limit)


@router.get("/healthz")
async def healthz(ctx: Ctx) -> JSONResponse:
    try:
        serving = await ctx.questions.healthy()
    except ApiError as err:
        return JSONResponse({"status": "unavailable", "temporal": err.message}, status_code=503)
    if not serving:
        return JSONResponse({"status": "unavailable", "temporal": "not serving"}, status_code=503)
    return JSONResponse({"status": "ok", "temporal": "serving"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(context(request).metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
