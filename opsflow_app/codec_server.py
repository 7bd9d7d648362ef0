"""Remote codec endpoints so the Temporal UI and CLI can show decrypted payloads.

``POST /encode`` and ``POST /decode`` take and return ``{"payloads": [...]}`` in the
proto-JSON form of ``temporal.api.common.v1.Payloads`` (bytes as base64), which is what
the Temporal UI sends. The browser calls this server directly (not through the UI's
backend), so ``TEMPORAL_CODEC_ENDPOINT`` must be a URL the operator's browser reaches,
and CORS must admit the UI's origin.

Auth: with ``OPSFLOW_CODEC_TOKEN`` set, every request except the CORS preflight and
``GET /health`` needs ``Authorization: Bearer <token>``. The Temporal UI only forwards
its own user's access token (``TEMPORAL_CODEC_PASS_ACCESS_TOKEN``), so a static token
suits CLI use (``temporal ... --codec-endpoint URL --codec-auth "Bearer TOKEN"``) or a
UI with SSO whose tokens are checked elsewhere. Without a token the server is an open
decrypt service, so it starts only on a loopback address, or where the operator states
the network is private (``OPSFLOW_CODEC_ALLOW_NO_TOKEN``, docker-compose publishing the
port on 127.0.0.1 only).

Every request must name an allowed ``Host`` (loopback names plus
``OPSFLOW_CODEC_ALLOWED_HOSTS``): a web page cannot reach a loopback server through a
DNS name it controls (DNS rebinding). A request carries at most ``MAX_PAYLOADS``
payloads in at most ``MAX_BODY_BYTES``: one 16 MiB body of tiny payloads once held the
server for 56 s and 3.7 GB.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import signal
from collections.abc import MutableMapping, Sequence

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from opsflow.codec import AesGcmCodec, CodecConfigError, CodecError, codec_from_settings
from opsflow.settings import Settings

log = structlog.get_logger(__name__)

ALLOWED_HEADERS = "content-type,x-namespace,authorization"
ALLOWED_METHODS = "POST,OPTIONS"
# A few payloads of up to Temporal's 2 MiB blob limit (base64 in JSON adds a third); the
# UI sends the payloads of one event or field per request.
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_PAYLOADS = 256
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_CODEC_KEY: web.AppKey[AesGcmCodec] = web.AppKey("codec", AesGcmCodec)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _cors_middleware(origins: frozenset[str]) -> Middleware:
    allow_any = "*" in origins

    def allowed_origin(request: web.Request) -> str | None:
        origin = request.headers.get("Origin")
        if origin is None:
            return None
        if allow_any:
            return "*"
        return origin if origin in origins else None

    def add_headers(request: web.Request, headers: MutableMapping[str, str]) -> None:
        origin = allowed_origin(request)
        headers["Vary"] = "Origin"
        if origin is None:
            return
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = "600"
        if origin != "*":
            # The UI may send cookies (TEMPORAL_CODEC_INCLUDE_CREDENTIALS).
            headers["Access-Control-Allow-Credentials"] = "true"

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS":
            # Preflight: answered here, before auth, because browsers never send
            # credentials on a preflight request.
            preflight = web.Response(status=204)
            add_headers(request, preflight.headers)
            return preflight
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            # Error responses need CORS headers too, or the UI sees an opaque failure.
            add_headers(request, exc.headers)
            raise
        add_headers(request, response.headers)
        return response

    return cors


def _auth_middleware(token: str) -> Middleware:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" or request.path == "/health":
            return await handler(request)
        given = request.headers.get("Authorization", "").encode()
        # Constant-time compare: the token must not leak through response timing.
        if not hmac.compare_digest(given, expected):
            return _error(401, "UNAUTHORIZED", "missing or invalid bearer token")
        return await handler(request)

    return auth


def _host_name(header: str) -> str:
    """The host name of a Host header: `[::1]:8081` -> `::1`, `Example:80` -> `example`."""
    host = header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _host_middleware(allowed: frozenset[str]) -> Middleware:
    @web.middleware
    async def check_host(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _host_name(request.headers.get("Host", "")) not in allowed:
            return _error(421, "HOST_NOT_ALLOWED", "this server does not answer for that host")
        return await handler(request)

    return check_host


async def _read_payloads(request: web.Request) -> Payloads:
    text = await request.text()
    try:
        body = json.loads(text)
    except ValueError as err:
        raise web.HTTPBadRequest(text=f'body must be {{"payloads": [...]}} in JSON: {err}') from err
    items = body.get("payloads") if isinstance(body, dict) else None
    if isinstance(items, list) and len(items) > MAX_PAYLOADS:
        # Counted before protobuf parsing, the expensive part per payload.
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_PAYLOADS,
            actual_size=len(items),
            text=f"at most {MAX_PAYLOADS} payloads per request",
        )
    try:
        return json_format.ParseDict(body, Payloads())
    except json_format.ParseError as err:
        raise web.HTTPBadRequest(
            text=f'body must be {{"payloads": [...]}} in proto JSON: {err}'
        ) from err


def _write_payloads(payloads: Sequence[Payload]) -> web.Response:
    # Per-payload proto JSON (empty fields omitted, as Go's protojson does), and the
    # "payloads" key kept even when the list is empty.
    body = {"payloads": [json_format.MessageToDict(p) for p in payloads]}
    return web.json_response(body)


async def _encode(request: web.Request) -> web.StreamResponse:
    codec = request.app[_CODEC_KEY]
    payloads = await _read_payloads(request)
    encoded = await codec.encode(list(payloads.payloads))
    return _write_payloads(encoded)


async def _decode(request: web.Request) -> web.StreamResponse:
    codec = request.app[_CODEC_KEY]
    payloads = await _read_payloads(request)
    try:
        decoded = await codec.decode(list(payloads.payloads))
    except CodecError as err:
        log.warning(
            "codec_decode_failed", code=err.code, namespace=request.headers.get("X-Namespace")
        )
        return _error(422, err.code, err.message)
    return _write_payloads(decoded)


async def _health(_: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


async def _preflight(_: web.Request) -> web.StreamResponse:
    # Never reached: the CORS middleware answers OPTIONS itself. Registered so the
    # router matches OPTIONS instead of answering 405 before the middleware runs.
    return web.Response(status=204)


def build_app(
    codec: AesGcmCodec,
    *,
    token: str | None,
    cors_origin: str,
    allowed_hosts: str = "",
) -> web.Application:
    """``cors_origin``: one origin, a comma-separated list, or ``*``; empty disables CORS.

    ``allowed_hosts``: comma-separated host names answered besides the loopback names.
    """
    origins = frozenset(o.strip().rstrip("/") for o in cors_origin.split(",") if o.strip())
    hosts = LOOPBACK_HOSTS | {
        _host_name(h) for h in allowed_hosts.split(",") if h.strip() and h.strip() != "*"
    }
    middlewares: list[Middleware] = [_host_middleware(hosts), _cors_middleware(origins)]
    if token:
        middlewares.append(_auth_middleware(token))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app[_CODEC_KEY] = codec
    for path, handler in (("/encode", _encode), ("/decode", _decode)):
        app.router.add_post(path, handler)
        app.router.add_route("OPTIONS", path, _preflight)
    app.router.add_get("/health", _health)
    return app


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a name, an empty string (all interfaces) or garbage: not loopback


async def serve(settings: Settings, host: str, port: int) -> None:
    """Run until SIGTERM/SIGINT or cancellation (``python client.py codec-server``)."""
    codec = codec_from_settings(settings)
    if codec is None:
        raise CodecConfigError("the codec server needs OPSFLOW_CODEC_KEYS")
    if (
        not settings.codec_server_token
        and not _is_loopback(host)
        and not settings.codec_allow_no_token
    ):
        raise CodecConfigError(
            f"refusing to serve decryption without OPSFLOW_CODEC_TOKEN on {host}: bind to "
            "127.0.0.1, set a token, or set OPSFLOW_CODEC_ALLOW_NO_TOKEN=1 where only a "
            "private network reaches the port"
        )
    app = build_app(
        codec,
        token=settings.codec_server_token,
        cors_origin=settings.codec_cors_origin,
        allowed_hosts=settings.codec_allowed_hosts,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not on every platform (Windows); there, cancellation still stops us.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.info(
            "codec_server_started",
            host=host,
            port=port,
            keys=len(codec.key_ids),
            auth=bool(settings.codec_server_token),
            cors_origin=settings.codec_cors_origin,
        )
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
        await runner.cleanup()
        log.info("codec_server_stopped")
