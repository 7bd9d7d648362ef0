"""Capability registry: which tools can answer which capability, at what expected cost.

Pure and deterministic: the workflow resolves steps with it. Observed behaviour
enters through a ``ToolStats`` snapshot that an activity reads from the database, so
recommendations adapt while replays stay deterministic (the snapshot is in history).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from opsflow.models import ParamValue
from opsflow.names import Capability, ToolName
from opsflow.params import catalog_params, param_problems


class ToolCapability(BaseModel):
    tool: ToolName
    capability: Capability
    description: str
    outputs: list[str] = Field(default_factory=list)
    cost_ms: float = 100.0
    failure_rate: float = 0.01
    # Fallback-only tools are never primaries while a regular tool has the capability.
    fallback_only: bool = False
    # Among fallback-only tools, a lower rank is tried first (then the cheaper one): a
    # coarser query of the same live source comes before stored rollups.
    fallback_rank: int = 0


class ToolStats(BaseModel):
    tool: str
    calls: int = 0
    failures: int = 0
    ewma_ms: float = 0.0


class ToolChoice(BaseModel):
    capability: str
    primary: str
    fallbacks: list[str] = Field(default_factory=list)


# Minimum observations before measured figures replace the declared ones.
_MIN_CALLS_FOR_STATS = 20


class ToolCapabilityRegistry:
    def __init__(self, tools: Iterable[ToolCapability] = ()) -> None:
        self._tools: dict[str, ToolCapability] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: ToolCapability) -> None:
        if tool.tool in self._tools:
            raise ValueError(f"tool {tool.tool} registered twice")
        self._tools[tool.tool] = tool

    def tool(self, name: str) -> ToolCapability:
        return self._tools[name]

    def capabilities(self) -> list[str]:
        return sorted({t.capability for t in self._tools.values()})

    def tools(self) -> list[ToolCapability]:
        return list(self._tools.values())

    def get_tools_for_capability(self, capability: str) -> list[ToolCapability]:
        return [t for t in self._tools.values() if t.capability == capability]

    def with_stats(self, stats: Iterable[ToolStats]) -> ToolCapabilityRegistry:
        """A copy whose cost and failure figures are the observed ones where enough exist."""
        by_tool = {s.tool: s for s in stats}
        adapted = []
        for tool in self._tools.values():
            seen = by_tool.get(tool.tool)
            if seen is not None and seen.calls >= _MIN_CALLS_FOR_STATS:
                tool = tool.model_copy(
                    update={
                        "cost_ms": round(seen.ewma_ms, 1),
                        "failure_rate": round(seen.failures / seen.calls, 4),
                    }
                )
            adapted.append(tool)
        return ToolCapabilityRegistry(adapted)

    def check_params(self, capability: str, params: Mapping[str, ParamValue]) -> list[str]:
        """Problems with ``params`` against the capability's parameter model (empty: valid)."""
        if not self.get_tools_for_capability(capability):
            return [f"unknown capability {capability!r}"]
        return param_problems(capability, params)

    def recommend_tool(self, capability: str) -> ToolChoice | None:
        """Primary = cheapest expected cost of a regular tool (cost inflated by failure rate)."""
        candidates = self.get_tools_for_capability(capability)
        if not candidates:
            return None
        regular = sorted((t for t in candidates if not t.fallback_only), key=_expected_cost)
        fallback_only = sorted(
            (t for t in candidates if t.fallback_only),
            key=lambda t: (t.fallback_rank, *_expected_cost(t)),
        )
        ordered = regular + fallback_only
        return ToolChoice(
            capability=capability,
            primary=ordered[0].tool,
            fallbacks=[t.tool for t in ordered[1:]],
        )

    def catalog(self) -> list[dict[str, object]]:
        """One entry per capability with its tools: what the planner prompt shows."""
        entries: list[dict[str, object]] = []
        for capability in self.capabilities():
            tools = self.get_tools_for_capability(capability)
            entries.append(
                {
                    "capability": capability,
                    "description": tools[0].description,
                    "params": catalog_params(Capability(capability)),
                    "outputs": sorted({o for t in tools for o in t.outputs}),
                    "tools": [
                        {
                            "tool": t.tool,
                            "cost_ms": t.cost_ms,
                            "failure_rate": t.failure_rate,
                            "fallback_only": t.fallback_only,
                        }
                        for t in tools
                    ],
                }
            )
        return entries

    def catalog_text(self) -> str:
        return json.dumps(self.catalog(), indent=1, sort_keys=True)


def _expected_cost(tool: ToolCapability) -> tuple[float, str]:
    # A failing call costs its time plus a retry; the name keeps ties deterministic.
    return (tool.cost_ms * (1.0 + 2.0 * tool.failure_rate), tool.tool)
