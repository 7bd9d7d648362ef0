"""What the activities of one worker share: the pool, settings, policies, the LLM client
(with its circuit breaker), the claim cache and the stats buffer. Nothing mutable lives at
module level: two workers in one process (tests, the demo) never share state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
import asyncpg

from activities.claims import ClaimCache
from opsflow.policies import DEFAULT_POLICY, ToolPolicy
from opsflow.settings import Settings

if TYPE_CHECKING:
    from opsflow.llm.client import LlmClient


@dataclass
class WorkerResources:
    pool: asyncpg.Pool
    settings: Settings
    policies: dict[str, ToolPolicy]
    llm: LlmClient | None = None
    # This worker's tool observations, flushed to tool_stats by the stats flusher.
    stats_buffer: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)
    # Recently stored claims, parsed: this worker's, not the process's.
    claims: ClaimCache = field(default_factory=ClaimCache)
    # One HTTP session per worker for remote metric sources (connection reuse), made on
    # first use so it belongs to the worker's event loop.
    _http: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    async def aclose_http(self) -> None:
        if self._http is not None:
            await self._http.close()

    def policy(self, tool: str) -> ToolPolicy:
        return self.policies.get(tool, DEFAULT_POLICY)

    def record_tool_call(self, tool: str, elapsed_ms: float, ok: bool) -> None:
        """One tool attempt, for the stats flusher (``tool_stats``)."""
        self.stats_buffer.setdefault(tool, []).append((elapsed_ms, ok))
