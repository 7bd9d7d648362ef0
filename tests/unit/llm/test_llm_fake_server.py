"""The fake server as a separate process, the way a worker under test would use it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from opsflow.llm import CircuitBreaker, LlmClient, LlmUnavailableError

REPO = Path(__file__).resolve().parents[3]


@contextlib.asynccontextmanager
async def standalone(*args: str) -> AsyncIterator[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.llm_server",
        "--port",
        "0",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=10)
        key, _, url = line.decode().strip().partition("=")
        assert key == "FAKE_LLM_BASE_URL", line
        yield url
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), timeout=5) == 0


async def test_standalone_process_is_scriptable_at_runtime() -> None:
    async with standalone("--mode", "http_500", "--api-key", "k") as url:
        llm = LlmClient(base_url=url, api_key="k", timeout_s=2.0, breaker=CircuitBreaker(name=url))
        async with llm:
            with pytest.raises(LlmUnavailableError):
                await llm.complete_text(purpose="summary", model="m", messages=[])
            control = url.removesuffix("/v1") + "/_control"
            async with aiohttp.ClientSession() as http:
                async with http.post(control, json={"mode": "auto"}) as resp:
                    assert resp.status == 200
                content, _ = await llm.complete_text(
                    purpose="summary", model="m", messages=[{"role": "user", "content": "x"}]
                )
                assert content
                async with http.get(control) as resp:
                    stats = await resp.json()
            assert stats["hits"] == 2 and stats["mode"] == "auto"
            assert len(stats["requests"]) == 2
            await llm.ping()


def test_unknown_mode_is_refused() -> None:
    from tests.fakes.llm_server import FakeLlmServer

    server = FakeLlmServer()
    with pytest.raises(ValueError):
        server.mode = "teleport"
    with pytest.raises(ValueError):
        server.enqueue("good_plan", "nope")
