"""Every side effect of OpsFlow: database tools, LLM calls, analysis, stats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from temporalio.common import RawValue

from activities.analysis import AnalysisActivities
from activities.catalog_tools import CatalogTools
from activities.context import ContextActivities
from activities.direct_query import QueryTools
from activities.planning import PlanningActivities
from activities.prometheus_tools import PrometheusTools
from activities.resources import WorkerResources
from activities.summary import SummaryActivities
from activities.telemetry_tools import TelemetryTools
from activities.threads import ThreadActivities
from opsflow.models import ToolCall
from opsflow.names import ToolName

# A tool returns its ToolOutput as the converter's payload (activities/tooling.py).
ToolActivity = Callable[[Any, ToolCall], Awaitable[RawValue]]

# The one table of tool activities: the worker registers these, and a test checks that it
# covers every ToolName and every tool of the catalog under its own activity name.
TOOL_ACTIVITIES: Mapping[ToolName, ToolActivity] = {
    ToolName.CI_LOOKUP: CatalogTools.ci_lookup,
    ToolName.TOPOLOGY_TRAVERSE: CatalogTools.topology_traverse,
    ToolName.TOPOLOGY_SNAPSHOT_FALLBACK: CatalogTools.topology_snapshot_fallback,
    ToolName.METRIC_QUERY: TelemetryTools.metric_query,
    ToolName.METRIC_ROLLUP_FALLBACK: TelemetryTools.metric_rollup_fallback,
    ToolName.EVENT_QUERY: TelemetryTools.event_query,
    ToolName.DIRECT_QUERY: QueryTools.direct_query,
    ToolName.PROMETHEUS_QUERY: PrometheusTools.prometheus_query,
    ToolName.PROMETHEUS_COARSE_FALLBACK: PrometheusTools.prometheus_coarse_fallback,
}

# The fixed-phase activities; the workflow calls them by method reference.
PHASE_ACTIVITIES: tuple[Callable[..., Awaitable[Any]], ...] = (
    PlanningActivities.plan_request,
    PlanningActivities.rule_plan,
    SummaryActivities.summarize,
    SummaryActivities.template_summary,
    AnalysisActivities.analyze,
    ContextActivities.load_tool_context,
    ThreadActivities.resolve_followup,
)


ACTIVITY_CLASSES = (
    CatalogTools,
    TelemetryTools,
    QueryTools,
    PlanningActivities,
    SummaryActivities,
    AnalysisActivities,
    ContextActivities,
    ThreadActivities,
    PrometheusTools,
)


def build_activities(res: WorkerResources) -> list[Callable[..., Any]]:
    """Bound methods of the activity classes, one instance per class sharing ``res``."""
    instances = [cls(res) for cls in ACTIVITY_CLASSES]
    return [
        getattr(inst, method.__name__)
        for method in [*TOOL_ACTIVITIES.values(), *PHASE_ACTIVITIES]
        for inst in instances
        if getattr(type(inst), method.__name__, None) is method
    ]


__all__ = ["PHASE_ACTIVITIES", "TOOL_ACTIVITIES", "WorkerResources", "build_activities"]
