"""Heartbeats that reflect progress, so a stalled activity is abandoned at its heartbeat
timeout rather than its start-to-close timeout, and cancellation reaches the activity.

A background task heartbeats every ``interval_s`` while the work has made progress in the
last ``stall_s`` seconds. Work that cannot report progress (one SQL statement) passes
``stall_s=None``: liveness only, bounded by the statement timeout instead.

The stall clock runs only once the work has reported progress: waiting for a database
connection under load is queueing, not a stalled scan (a 3 s stall rule fired on pool
waits at 200 concurrent questions and retried healthy queries). ``disarm`` stops it
again before such a wait.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any

from temporalio import activity


class Heartbeater:
    def __init__(self, *, interval_s: float = 0.5, stall_s: float | None = None) -> None:
        self._interval_s = interval_s
        self._stall_s = stall_s
        self._last_progress: float | None = None
        self._details: Any = None
        self._task: asyncio.Task[None] | None = None

    def progress(self, details: Any) -> None:
        self._details = details
        self._last_progress = time.monotonic()

    def disarm(self) -> None:
        """Liveness heartbeats only until the next ``progress``."""
        self._last_progress = None

    async def __aenter__(self) -> Heartbeater:
        # No beat on entry: it would cost a server round trip per tool call, and most tools
        # finish well inside the first interval (heartbeat timeout / 4 at most).
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            stalled = (
                self._stall_s is not None
                and self._last_progress is not None
                and time.monotonic() - self._last_progress > self._stall_s
            )
            if not stalled:
                activity.heartbeat(self._details)
