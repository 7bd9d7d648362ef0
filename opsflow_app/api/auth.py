"""Who is asking: a Bearer key on the API, the same key in a cookie for the pages.

The cookie holds the key itself (HttpOnly, so page scripts never see it). It is also
accepted on the ``GET`` API routes, because a browser's EventSource cannot send an
Authorization header; never on ``POST`` (SameSite=Lax already keeps it off cross-site
POSTs, this keeps the API's writes to explicit credentials).
"""

from __future__ import annotations

from fastapi import Request, Response

from opsflow_app.api.context import context
from opsflow_app.api.errors import ApiCode, ApiError

COOKIE = "opsflow_key"
COOKIE_MAX_AGE_S = 8 * 3600


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_tenant(request: Request) -> str:
    """FastAPI dependency of every ``/v1`` route: the tenant of the presented key, or 401."""
    key = _bearer(request)
    if key is None and request.method == "GET":
        key = request.cookies.get(COOKIE)
    tenant = context(request).keys.tenant_for(key)
    if tenant is None:
        reason = "missing API key" if key is None else "unknown API key"
        raise ApiError(
            ApiCode.UNAUTHORIZED,
            f"{reason} (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return tenant


def page_tenant(request: Request) -> str | None:
    return context(request).keys.tenant_for(request.cookies.get(COOKIE))


def remember_key(request: Request, response: Response, key: str) -> None:
    response.set_cookie(
        COOKIE,
        key,
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
