"""The tools OpsFlow ships, with their capabilities and declared figures.

Parameters belong to the capability (opsflow.params), not to each tool."""

from __future__ import annotations

from opsflow.names import Capability, ToolName
from opsflow.registry import ToolCapability, ToolCapabilityRegistry
from opsflow.sources.routing import prometheus_tools

PROMETHEUS_TOOLS = prometheus_tools()

TOOLS: tuple[ToolCapability, ...] = (
    ToolCapability(
        tool=ToolName.CI_LOOKUP,
        capability=Capability.CI_SEARCH,
        description="Find configuration items by name, type or environment.",
        outputs=["cis"],
        cost_ms=20,
        failure_rate=0.005,
    ),
    ToolCapability(
        tool=ToolName.TOPOLOGY_TRAVERSE,
        capability=Capability.GRAPH_TRAVERSAL,
        description="Dependencies of a CI via a depth-bounded recursive walk of ci_relation.",
        outputs=["cis", "edges"],
        cost_ms=40,
        failure_rate=0.01,
    ),
    ToolCapability(
        tool=ToolName.TOPOLOGY_SNAPSHOT_FALLBACK,
        capability=Capability.GRAPH_TRAVERSAL,
        description="Last known topology snapshot (may be stale).",
        outputs=["cis", "edges"],
        cost_ms=15,
        failure_rate=0.005,
        fallback_only=True,
    ),
    ToolCapability(
        tool=ToolName.METRIC_QUERY,
        capability=Capability.METRIC_TIMESERIES,
        description="Bucketed metric series for CIs around the reference time, with history.",
        outputs=["series"],
        cost_ms=250,
        failure_rate=0.02,
    ),
    ToolCapability(
        tool=ToolName.METRIC_ROLLUP_FALLBACK,
        capability=Capability.METRIC_TIMESERIES,
        description="Coarser pre-aggregated rollups when raw scans fail or time out.",
        outputs=["series"],
        cost_ms=80,
        failure_rate=0.01,
        fallback_only=True,
        fallback_rank=1,
    ),
    *PROMETHEUS_TOOLS,
    ToolCapability(
        tool=ToolName.EVENT_QUERY,
        capability=Capability.EVENT_SEARCH,
        description="Alerts, deploys, config changes and incidents in a window.",
        outputs=["events"],
        cost_ms=30,
        failure_rate=0.01,
    ),
    ToolCapability(
        tool=ToolName.DIRECT_QUERY,
        capability=Capability.DATABASE_QUERY,
        description=(
            "Read-only SQL over ci, ci_relation, metric_sample, metric_rollup, event; "
            "every table must be filtered by tenant_id."
        ),
        outputs=["table"],
        cost_ms=120,
        failure_rate=0.03,
    ),
)


def default_registry() -> ToolCapabilityRegistry:
    """The tools of a tenant whose metrics are in the ops database: every tenant without a
    live source (``route_metric_tools`` adds the Prometheus tools for the others)."""
    return ToolCapabilityRegistry(t for t in TOOLS if t not in PROMETHEUS_TOOLS)
