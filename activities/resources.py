"""What the activities of one worker process share: the pool, settings and policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg

from opsflow.policies import ToolPolicy
from opsflow.settings import Settings

if TYPE_CHECKING:
    from opsflow.llm.client import LlmClient


@dataclass
class WorkerResources:
    pool: asyncpg.Pool
    settings: Settings
    policies: dict[str, ToolPolicy]
    llm: LlmClient | None = None
    # Per-process observations, flushed to tool_stats by the stats recorder.
    stats_buffer: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)

    def policy(self, tool: str) -> ToolPolicy:
        return self.policies.get(tool, ToolPolicy())

    def record_tool_call(self, tool: str, elapsed_ms: float, ok: bool) -> None:
        """One tool attempt, for the stats flusher (``tool_stats``)."""
        self.stats_buffer.setdefault(tool, []).append((elapsed_ms, ok))
