"""Bounds on what one caller can send: body size and request rate (pure ASGI middleware,
so a large or chunked body is refused while it streams in, before any handler reads it)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsflow_app.api.errors import STATUS_BY_CODE, ApiCode

# Paths a probe or scraper polls; never rate limited (they carry no credential).
UNLIMITED_PREFIXES = ("/healthz", "/metrics", "/static/")
# Buckets kept in memory at most; full (idle) buckets are dropped first past this.
MAX_BUCKETS = 10_000


async def _send_error(
    send: Send, code: ApiCode, message: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps({"error": code.value, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": STATUS_BY_CODE[code],
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_error(send, ApiCode.BODY_TOO_LARGE, f"body over {self.max_bytes} bytes", [])
            return
        seen = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not refused:
                    # Answer now; to the app the client has gone (a ClientDisconnect it
                    # handles like any dropped upload), and whatever it sends is dropped.
                    refused = True
                    await _send_error(
                        send, ApiCode.BODY_TOO_LARGE, f"body over {self.max_bytes} bytes", []
                    )
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class TokenBuckets:
    """``per_minute`` requests a minute per caller, bursts up to ``burst``."""

    per_minute: int
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, caller: str) -> float:
        """0 if admitted, else the seconds until a token is free."""
        now = self.clock()
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(now, rate)
            bucket = self._buckets[caller] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate

    def _prune(self, now: float, rate: float) -> None:
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * rate >= self.burst
        ]
        for key in full or list(self._buckets)[: MAX_BUCKETS // 10]:
            del self._buckets[key]


def caller_identity(scope: Scope, cookie_name: str) -> str:
    """The credential a request presents (hashed), else its client address.

    Counting by credential, valid or not, bounds both a tenant's load and key guessing.
    """
    headers = dict(scope["headers"])
    auth = headers.get(b"authorization", b"")
    if auth:
        return "k:" + hashlib.sha256(auth).hexdigest()
    cookie = headers.get(b"cookie", b"")
    if cookie_name.encode() in cookie:
        return "c:" + hashlib.sha256(cookie).hexdigest()
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimit:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets, cookie_name: str) -> None:
        self.app = app
        self.buckets = buckets
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(caller_identity(scope, self.cookie_name))
        if wait > 0:
            retry = str(max(1, math.ceil(wait))).encode()
            await _send_error(
                send,
                ApiCode.RATE_LIMITED,
                f"over {self.buckets.per_minute} requests a minute",
                [(b"retry-after", retry)],
            )
            return
        await self.app(scope, receive, send)
