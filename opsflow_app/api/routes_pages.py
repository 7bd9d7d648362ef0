"""HTML routes: the question box, the login, the answer page (cookie auth, see auth.py)."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

import pydantic
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from opsflow_app.api.auth import COOKIE, page_tenant, remember_key
from opsflow_app.api.context import ApiContext, context
from opsflow_app.api.errors import ApiError
from opsflow_app.api.render.page import answer_page, index_page, layout, login_page, running_page
from opsflow_app.api.schemas import AskBody
from opsflow_app.api.service import is_running, ui_link

router = APIRouter()
Ctx = Annotated[ApiContext, Depends(context)]
RECENT_ON_INDEX = 20


# Scripts, styles and the event stream from this origin only; no framing; no Referer (a
# ?key= link must not leak through it); tenant data is not cached.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _html(content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=PAGE_HEADERS)


def _error_page(err: ApiError, tenant: str | None) -> HTMLResponse:
    body = (
        f'<h1>{err.status}</h1><p class="error"><code>{escape(err.code)}</code> '
        f"{escape(err.message)}</p>"
    )
    return _html(layout(err.code, body, tenant=tenant), status_code=err.status)


def _to_login(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_url)}", status_code=303)


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def _form(request: Request) -> dict[str, str]:
    """urlencoded form fields (the body is already bounded by the BodyLimit middleware)."""
    fields = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    return {k: v[0] for k, v in fields.items() if v}


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


@router.get("/", response_class=HTMLResponse, response_model=None)
async def index(request: Request, ctx: Ctx) -> Response:
    tenant = page_tenant(request)
    if tenant is None:
        return _to_login("/")
    try:
        recent = await ctx.questions.listing(tenant, None, RECENT_ON_INDEX)
    except ApiError as err:
        return _html(index_page(tenant, [], error=err.message), status_code=err.status)
    return _html(index_page(tenant, recent))


@router.get("/login", response_class=HTMLResponse)
async def login_form(next: str = "/") -> HTMLResponse:
    return _html(login_page(_safe_next(next)))


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(request: Request, ctx: Ctx) -> Response:
    form = await _form(request)
    key, next_url = form.get("key", ""), _safe_next(form.get("next"))
    if ctx.keys.tenant_for(key) is None:
        return _html(login_page(next_url, "unknown API key"), status_code=401)
    response = RedirectResponse(next_url, status_code=303)
    remember_key(request, response, key)
    return response


@router.get("/logout")
async def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/ask", response_class=HTMLResponse, response_model=None)
async def ask_from_page(request: Request, ctx: Ctx) -> Response:
    tenant = page_tenant(request)
    if tenant is None:
        return _to_login("/")
    if not _same_origin(request):
        return _html(layout("Refused", "<h1>cross-site form refused</h1>"), status_code=403)
    form = await _form(request)
    try:
        body = AskBody(question=form.get("question", ""), at=form.get("at") or None)
        workflow_id = await ctx.questions.start(tenant, body)
    except pydantic.ValidationError as err:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        return _html(index_page(tenant, [], error=message), status_code=422)
    except ApiError as err:
        return _error_page(err, tenant)
    ctx.metrics.questions.labels(tenant).inc()
    return RedirectResponse(f"/q/{workflow_id}", status_code=303)


@router.get("/q/{workflow_id}", response_class=HTMLResponse, response_model=None)
async def answer(workflow_id: str, request: Request, ctx: Ctx, key: str | None = None) -> Response:
    clean = f"/q/{workflow_id}"
    if key is not None:
        # Links and automation: the key in the URL once, then a cookie and the clean URL
        # (so the key does not stay in the address bar, history or Referer).
        if ctx.keys.tenant_for(key) is None:
            return _html(login_page(clean, "unknown API key"), status_code=401)
        response = RedirectResponse(clean, status_code=303, headers=PAGE_HEADERS)
        remember_key(request, response, key)
        return response
    tenant = page_tenant(request)
    if tenant is None:
        return _to_login(clean)
    try:
        handle, description = await ctx.questions.owned(tenant, workflow_id)
        if is_running(description):
            question = await description.static_summary() or workflow_id
            progress = await ctx.questions.progress(handle)
            ui = ui_link(ctx.settings, workflow_id)
            return _html(running_page(tenant, workflow_id, question, progress, ui))
        result = await ctx.questions.result(handle)
    except ApiError as err:
        return _error_page(err, tenant)
    return _html(answer_page(tenant, result))
