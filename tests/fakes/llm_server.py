"""A real local HTTP server speaking the OpenAI chat-completions API, with scripted failures.

Tests point the real ``openai`` client at it so the SDK's request building, response
parsing and error classes run for real; only the model behind the endpoint is fake.

In-process (pytest)::

    async with FakeLlmServer(mode="good_plan", plan_builder=my_builder) as server:
        client = LlmClient(base_url=server.base_url, api_key="test", timeout_s=0.5)
        server.mode = "http_500"           # every later request fails
        server.enqueue("http_429", "auto") # the next two requests, then back to ``mode``

Out of process (a worker under test, chaos tests)::

    python -m tests.fakes.llm_server --port 0 --mode auto
    # prints FAKE_LLM_BASE_URL=http://127.0.0.1:PORT/v1 once it listens;
    # POST /_control {"mode": ..., "queue": [...]} changes behaviour, GET /_control reads counters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.llm_content import (
    INJECTION_SQL,
    approx_tokens,
    default_plan_content,
    default_summary_content,
    injection_content,
    unknown_tool_content,
)

__all__ = ["INJECTION_SQL", "MODES", "ContentBuilder", "FakeLlmServer"]

ContentBuilder = Callable[[dict[str, Any]], str]

MODES: frozenset[str] = frozenset(
    {
        "auto",  # json_schema request -> good_plan, otherwise -> summary
        "good_plan",
        "unknown_tool",
        "malformed_json",
        "injection",
        "summary",
        "empty",
        "http_500",
        "http_429",
        "hang",
        "auth_401",
        "bad_request",
    }
)


_ERROR_MODES: dict[str, tuple[int, str, str, str | None, dict[str, str]]] = {
    "http_500": (500, "The server had an error processing your request.", "server_error", None, {}),
    "http_429": (
        429,
        "Rate limit reached for requests.",
        "requests",
        "rate_limit_exceeded",
        {"Retry-After": "2"},
    ),
    "bad_request": (
        400,
        "Invalid schema for response_format.",
        "invalid_request_error",
        "invalid_request",
        {},
    ),
}


def _error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class FakeLlmServer:
    def __init__(
        self,
        mode: str = "auto",
        *,
        plan_builder: ContentBuilder | None = None,
        summary_builder: ContentBuilder | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        hang_s: float = 30.0,
        model: str = "fake-gpt",
        api_key: str | None = None,
    ) -> None:
        self._mode = ""
        self.mode = mode
        self.queue: deque[str] = deque()
        self.plan_builder = plan_builder or default_plan_content
        self.summary_builder = summary_builder or default_summary_content
        self.host = host
        self.port = port
        self.hang_s = hang_s
        self.model = model
        # When set, requests with another bearer token get a 401, like a real provider.
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.hits = 0
        # Exceptions raised by plan/summary builders (they also turn into HTTP 500s).
        self.errors: list[Exception] = []
        self.model_list_hits = 0
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    # -- behaviour -------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r}; one of {sorted(MODES)}")
        self._mode = value

    def enqueue(self, *modes: str) -> None:
        """Script the next requests; once the queue is drained ``mode`` applies again."""
        for m in modes:
            if m not in MODES:
                raise ValueError(f"unknown mode {m!r}")
        self.queue.extend(modes)

    def _next_mode(self) -> str:
        return self.queue.popleft() if self.queue else self._mode

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/_control", self._control_get)
        app.router.add_post("/_control", self._control_post)
        return app

    async def start(self) -> None:
        self._closing.clear()
        # Short shutdown timeout: a ``hang`` handler must never hold up test teardown.
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeLlmServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- handlers --------------------------------------------------------------------------
    def _unauthorized(self, request: web.Request) -> bool:
        if self.api_key is None:
            return False
        return request.headers.get("Authorization") != f"Bearer {self.api_key}"

    async def _models(self, request: web.Request) -> web.Response:
        self.model_list_hits += 1
        if self._unauthorized(request) or self._mode == "auth_401":
            return self._auth_error()
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}],
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response(
                _error_body("request body is not JSON", "invalid_request_error", None), status=400
            )
        self.requests.append(body)
        mode = self._next_mode()
        if self._unauthorized(request) or mode == "auth_401":
            return self._auth_error()
        if mode in _ERROR_MODES:
            status, message, type_, code, headers = _ERROR_MODES[mode]
            return web.json_response(
                _error_body(message, type_, code), status=status, headers=headers
            )
        if mode == "hang":
            # Wait past any sane client timeout; end early only when the server stops.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=self.hang_s)
            return web.json_response(_error_body("shutting down", "server_error", None), status=503)
        if mode == "auto":
            wants_json = (body.get("response_format") or {}).get("type") == "json_schema"
            mode = "good_plan" if wants_json else "summary"
        try:
            content = self._content(mode, body)
        except Exception as exc:
            # A broken test builder must be visible as such, not as a mysterious outage.
            self.errors.append(exc)
            return web.json_response(
                _error_body(f"fake server builder failed: {exc!r}", "server_error", None),
                status=500,
            )
        return web.json_response(self._completion(body, content))

    def _content(self, mode: str, body: dict[str, Any]) -> str:
        if mode == "good_plan":
            return self.plan_builder(body)
        if mode == "summary":
            return self.summary_builder(body)
        if mode == "unknown_tool":
            return unknown_tool_content(body)
        if mode == "injection":
            return injection_content(body)
        if mode == "malformed_json":
            return '{"steps": [{"id": "s1", "capability": "ci_search", "params": {"name": '
        if mode == "empty":
            return ""
        raise AssertionError(f"mode {mode!r} has no content")

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        prompt = "".join(str(m.get("content", "")) for m in body.get("messages") or [])
        prompt_tokens = approx_tokens(prompt)
        completion_tokens = approx_tokens(content) if content else 0
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def _auth_error(self) -> web.Response:
        return web.json_response(
            _error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
            status=401,
        )

    async def _control_get(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mode": self._mode,
                "queue": list(self.queue),
                "hits": self.hits,
                "model_list_hits": self.model_list_hits,
                "requests": self.requests,
            }
        )

    async def _control_post(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            if "mode" in body:
                self.mode = str(body["mode"])
            if "queue" in body:
                self.queue.clear()
                self.enqueue(*[str(m) for m in body["queue"]])
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return await self._control_get(request)


async def _serve(args: argparse.Namespace, plan_text: str | None) -> None:
    plan_builder: ContentBuilder | None = None
    if plan_text is not None:

        def plan_builder(_: dict[str, Any]) -> str:
            return plan_text

    server = FakeLlmServer(
        args.mode,
        plan_builder=plan_builder,
        host=args.host,
        port=args.port,
        hang_s=args.hang_s,
        api_key=args.api_key,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        print(f"FAKE_LLM_BASE_URL={server.base_url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat-completions server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--mode", default="auto", choices=sorted(MODES))
    parser.add_argument("--hang-s", type=float, default=30.0)
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    parser.add_argument("--plan-file", default=None, help="JSON file returned for plan requests")
    args = parser.parse_args(argv)
    plan_text = None
    if args.plan_file:
        plan_text = Path(args.plan_file).read_text(encoding="utf-8")
        json.loads(plan_text)  # fail at start, not on the first request
    asyncio.run(_serve(args, plan_text))


if __name__ == "__main__":
    main()
