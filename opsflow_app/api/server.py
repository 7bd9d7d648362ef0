"""Run the app on uvicorn and say where it listens."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from opsflow.settings import Settings
from opsflow_app.api.app import create_app

GRACEFUL_S = 5


class _Server(uvicorn.Server):
    """uvicorn's server, telling when it accepts connections (it only keeps a flag)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


def bind(host: str, port: int) -> socket.socket:
    """Bound here, not by uvicorn, so a taken port is an OSError (one ``error:`` line from
    the CLI) rather than uvicorn's log line and exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def serve(settings: Settings, host: str, port: int) -> None:
    app = create_app(settings)  # a bad OPSFLOW_API_KEYS fails here, before binding
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]  # the real one when asked for port 0
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        # Event streams stay open until their question ends: do not wait that long at exit.
        timeout_graceful_shutdown=GRACEFUL_S,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
    listening.cancel()  # still pending when startup failed
    if server.started:
        shown = f"[{host}]" if ":" in host else host
        # One parseable line, like `client.py stack` prints its endpoints.
        print(f"OPSFLOW_API_URL=http://{shown}:{bound_port}", flush=True)
    await task
