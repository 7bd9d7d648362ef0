"""Every side effect of OpsFlow: database tools, LLM calls, analysis, stats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.analysis import AnalysisActivities
from activities.catalog_tools import CatalogTools
from activities.context import ContextActivities
from activities.direct_query import QueryTools
from activities.planning import PlanningActivities
from activities.resources import WorkerResources
from activities.summary import SummaryActivities
from activities.telemetry_tools import TelemetryTools
from activities.threads import ThreadActivities


def build_activities(res: WorkerResources) -> list[Callable[..., Any]]:
    """Bound methods of the activity classes, sharing the worker's resources."""
    catalog = CatalogTools(res)
    telemetry = TelemetryTools(res)
    query = QueryTools(res)
    planning = PlanningActivities(res)
    summary = SummaryActivities(res)
    analysis = AnalysisActivities(res)
    context = ContextActivities(res)
    threads = ThreadActivities(res)
    return [
        catalog.ci_lookup,
        catalog.topology_traverse,
        catalog.topology_snapshot_fallback,
        telemetry.metric_query,
        telemetry.metric_rollup_fallback,
        telemetry.event_query,
        query.direct_query,
        planning.plan_request,
        planning.rule_plan,
        summary.summarize,
        summary.template_summary,
        analysis.analyze,
        context.load_tool_context,
        threads.resolve_followup,
    ]


__all__ = ["WorkerResources", "build_activities"]
