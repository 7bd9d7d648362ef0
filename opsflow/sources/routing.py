"""Which metric tools a tenant gets: pure, so the workflow can apply it to the registry.

A tenant with a Prometheus source gets ``prometheus_query`` as its metric_timeseries
primary, then the coarser Prometheus query, then its stored rollups if it has any; the SQL
raw-sample tool is left out (its samples live in Prometheus). Every other tenant keeps the
SQL metric tools and never sees the Prometheus ones.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from opsflow.names import Capability, ToolName
from opsflow.registry import ToolCapability, ToolCapabilityRegistry

PROMETHEUS_QUERY = ToolName.PROMETHEUS_QUERY
PROMETHEUS_COARSE = ToolName.PROMETHEUS_COARSE_FALLBACK
_SQL_RAW = ToolName.METRIC_QUERY
_SQL_ROLLUP = ToolName.METRIC_ROLLUP_FALLBACK


class MetricSourceKind(StrEnum):
    DATABASE = "database"
    PROMETHEUS = "prometheus"


class MetricSource(BaseModel):
    """A tenant's metric source as the workflow sees it (recorded in history)."""

    kind: MetricSourceKind = MetricSourceKind.DATABASE
    has_rollups: bool = True


def prometheus_tools() -> tuple[ToolCapability, ...]:
    return (
        ToolCapability(
            tool=PROMETHEUS_QUERY,
            capability=Capability.METRIC_TIMESERIES,
            description="Metric series for CIs from the tenant's Prometheus (PromQL range "
            "queries from the tenant's configured templates), around the reference time.",
            outputs=["series"],
            cost_ms=150,
            failure_rate=0.02,
        ),
        ToolCapability(
            tool=PROMETHEUS_COARSE,
            capability=Capability.METRIC_TIMESERIES,
            description="The same Prometheus series at a coarse step, when the full query "
            "fails or times out.",
            outputs=["series"],
            cost_ms=60,
            failure_rate=0.02,
            fallback_only=True,
            fallback_rank=0,
        ),
    )


def route_metric_tools(
    registry: ToolCapabilityRegistry, source: MetricSource
) -> ToolCapabilityRegistry:
    """``registry`` (the database tools) as the tenant with ``source`` gets it."""
    if source.kind is not MetricSourceKind.PROMETHEUS:
        return registry
    dropped = {_SQL_RAW} | (set() if source.has_rollups else {_SQL_ROLLUP})
    kept = [t for t in registry.tools() if t.tool not in dropped]
    return ToolCapabilityRegistry([*kept, *prometheus_tools()])
