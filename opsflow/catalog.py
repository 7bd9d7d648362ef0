"""The tools OpsFlow ships, with their capabilities and declared figures."""

from __future__ import annotations

from opsflow.names import Capability, ToolName
from opsflow.registry import ParamSpec, ToolCapability, ToolCapabilityRegistry

_S = ParamSpec
_CI = _S(type="string", description="CI name")
_METRICS = _S(type="string_list", description="metric names, e.g. latency_p95, error_rate, cpu")
_WINDOW = _S(type="integer", description="recent window in minutes before the reference time")
_HISTORY = _S(type="integer", description="baseline history in hours before the window")
_AFTER = _S(
    type="integer",
    description="also read up to this many minutes after a past reference time (0..60; "
    "never beyond now)",
)

METRIC_PARAMS = {
    "ci": _CI,
    "cis": _S(type="string_list", description="several CI names"),
    "metrics": _METRICS,
    "window_minutes": _WINDOW,
    "history_hours": _HISTORY,
    "after_minutes": _AFTER,
    "include_inputs": _S(type="boolean", description="also the CIs found by parent steps"),
}
TOPOLOGY_PARAMS = {
    "ci": _S(type="string", required=True, description="CI name"),
    "direction": _S(type="string", description="upstream (what it depends on) | downstream | both"),
    "depth": _S(type="integer", description="maximum hops, 1..8"),
}

TOOLS: tuple[ToolCapability, ...] = (
    ToolCapability(
        tool=ToolName.CI_LOOKUP,
        capability=Capability.CI_SEARCH,
        description="Find configuration items by name, type or environment.",
        params={
            "name": _S(type="string", description="name or substring"),
            "ci_type": _S(type="string", description="service|host|database|load_balancer|queue"),
            "environment": _S(type="string"),
            "limit": _S(type="integer"),
        },
        outputs=["cis"],
        cost_ms=20,
        failure_rate=0.005,
    ),
    ToolCapability(
        tool=ToolName.TOPOLOGY_TRAVERSE,
        capability=Capability.GRAPH_TRAVERSAL,
        description="Dependencies of a CI via a depth-bounded recursive walk of ci_relation.",
        params=TOPOLOGY_PARAMS,
        outputs=["cis", "edges"],
        cost_ms=40,
        failure_rate=0.01,
    ),
    ToolCapability(
        tool=ToolName.TOPOLOGY_SNAPSHOT_FALLBACK,
        capability=Capability.GRAPH_TRAVERSAL,
        description="Last known topology snapshot (may be stale).",
        params=TOPOLOGY_PARAMS,
        outputs=["cis", "edges"],
        cost_ms=15,
        failure_rate=0.005,
        fallback_only=True,
    ),
    ToolCapability(
        tool=ToolName.METRIC_QUERY,
        capability=Capability.METRIC_TIMESERIES,
        description="Bucketed metric series for CIs around the reference time, with history.",
        params=METRIC_PARAMS,
        outputs=["series"],
        cost_ms=250,
        failure_rate=0.02,
    ),
    ToolCapability(
        tool=ToolName.METRIC_ROLLUP_FALLBACK,
        capability=Capability.METRIC_TIMESERIES,
        description="Coarser pre-aggregated rollups when raw scans fail or time out.",
        params=METRIC_PARAMS,
        outputs=["series"],
        cost_ms=80,
        failure_rate=0.01,
        fallback_only=True,
    ),
    ToolCapability(
        tool=ToolName.EVENT_QUERY,
        capability=Capability.EVENT_SEARCH,
        description="Alerts, deploys, config changes and incidents in a window.",
        params={
            "ci": _CI,
            "cis": _S(type="string_list"),
            "kinds": _S(type="string_list", description="alert|deploy|config_change|incident"),
            "severity": _S(type="string", description="minimum: info|warning|critical"),
            "window_minutes": _WINDOW,
            "include_inputs": METRIC_PARAMS["include_inputs"],
        },
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
        params={"sql": _S(type="string", required=True, description="one PostgreSQL SELECT")},
        outputs=["table"],
        cost_ms=120,
        failure_rate=0.03,
    ),
)


def default_registry() -> ToolCapabilityRegistry:
    return ToolCapabilityRegistry(TOOLS)
