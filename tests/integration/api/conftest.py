"""``python client.py serve`` as a child process against the session stack and worker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from opsflow.settings import Settings
from opsflow_app.stack._procs import free_port
from tests.integration.ops.support import REPO_ROOT, child_env

ACME_KEY = "acme-test-key-0123456789abcdef"
GLOBEX_KEY = "globex-test-key-0123456789abcdef"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ApiServer:
    url: str
    log: Path

    def client(self, key: str | None = ACME_KEY) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30.0)


@asynccontextmanager
async def serve_api(settings: Settings, log: Path) -> AsyncIterator[ApiServer]:
    """``client.py serve`` on a free port for the task queue of ``settings``."""
    env = child_env(settings, OPSFLOW_API_KEYS=f"{ACME_KEY}:t_acme,{GLOBEX_KEY}:t_globex")
    port = free_port()
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO_ROOT / "client.py"),
            "serve",
            "--port",
            str(port),
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=START_TIMEOUT_S)
        except TimeoutError:
            line = b""
        url = line.decode().strip().removeprefix("OPSFLOW_API_URL=")
        assert url == f"http://127.0.0.1:{port}", f"serve printed {line!r}: {log.read_text()}"
        yield ApiServer(url, log)
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()


@pytest.fixture(scope="module")
async def api_server(
    worker_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiServer]:
    async with serve_api(worker_settings, tmp_path_factory.mktemp("api") / "serve.log") as api:
        yield api
