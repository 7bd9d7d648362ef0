"""The ASGI app: routes, error bodies, and the limits every request passes through."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsflow.errors import AppError
from opsflow.settings import Settings
from opsflow_app.api import routes_api, routes_pages, routes_threads
from opsflow_app.api.auth import COOKIE
from opsflow_app.api.context import ApiContext
from opsflow_app.api.errors import on_app_error, on_http_error, on_validation_error
from opsflow_app.api.keys import KeyRing, parse_keys
from opsflow_app.api.limits import BodyLimit, RateLimit, TokenBuckets
from opsflow_app.api.metrics import ApiMetrics, RequestMetrics
from opsflow_app.api.service import Connector, Questions
from opsflow_app.api.threads import Threads

STATIC = Path(__file__).parent / "static"
# Bursts: a page load plus its stream and a few polls.
RATE_BURST = 30


def create_app(
    settings: Settings, *, keys: KeyRing | None = None, connector: Connector | None = None
) -> FastAPI:
    """``keys`` defaults to OPSFLOW_API_KEYS (a bad or empty value raises ValidationError)."""
    ring = keys or parse_keys(settings.api_keys)
    metrics = ApiMetrics()
    # The schema at /openapi.json; no /docs: Swagger UI would load its assets from a CDN.
    app = FastAPI(title="OpsFlow", version="1", docs_url=None, redoc_url=None)
    questions = Questions(settings, connector)
    app.state.opsflow = ApiContext(settings, ring, questions, metrics, Threads(questions))
    app.include_router(routes_api.router)
    app.include_router(routes_threads.router)
    app.include_router(routes_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # Added last = outermost: metrics see every refusal, the rate limit runs before the
    # body is read, and the body limit wraps the app itself.
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    buckets = TokenBuckets(per_minute=settings.api_rate_per_minute, burst=RATE_BURST)
    app.add_middleware(RateLimit, buckets=buckets, cookie_name=COOKIE)
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app
