"""Intent -> plan. Investigations fetch topology first and the upstream CIs' metrics and
changes in parallel after it, while the focus CI's own metrics start at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from opsflow.models import Plan, PlanStep
from opsflow.names import Capability, Intent
from opsflow.planner.intents import ParsedQuestion, detect_intent
from opsflow.planner.sql_templates import alert_counts_sql, health_sql, top_n_sql

HISTORY_HOURS = 6
# A question about a past instant is about the minutes around it: a fault's samples land
# one to three 5-minute rows after it began. The metric tool reads this far past the
# reference time, never beyond the wall clock (docs/DECISIONS.md, "Around a past instant").
AFTER_MINUTES = 15
CHANGE_WINDOW_MINUTES = 240


@dataclass(frozen=True)
class CiInfo:
    name: str
    ci_type: str


def rule_plan(question: str, tenant_id: str, cis: list[CiInfo], reference_time: datetime) -> Plan:
    parsed = detect_intent(question, [c.name for c in cis])
    return _BUILDERS[parsed.intent](parsed, tenant_id, cis, reference_time)


def _investigation(parsed: ParsedQuestion, *_: object) -> Plan:
    ci = parsed.ci
    assert ci is not None
    window = max(parsed.window_minutes, 60)
    metrics_params = {
        "window_minutes": window,
        "history_hours": HISTORY_HOURS,
        "after_minutes": AFTER_MINUTES,
    }
    steps = [
        PlanStep(
            id="topology",
            capability=Capability.GRAPH_TRAVERSAL,
            params={"ci": ci, "direction": "upstream", "depth": 4, "all_if_unknown": True},
            description=f"what {ci} depends on",
        ),
        PlanStep(
            id="focus_metrics",
            capability=Capability.METRIC_TIMESERIES,
            params={"ci": ci, **metrics_params},
            description=f"metrics of {ci} against its baseline",
        ),
        PlanStep(
            id="upstream_metrics",
            capability=Capability.METRIC_TIMESERIES,
            params={"include_inputs": True, **metrics_params},
            depends_on=["topology"],
            description="metrics of every upstream CI",
        ),
        PlanStep(
            id="changes",
            capability=Capability.EVENT_SEARCH,
            params={
                "ci": ci,
                "include_inputs": True,
                "window_minutes": max(window, CHANGE_WINDOW_MINUTES),
            },
            depends_on=["topology"],
            description="deploys, config changes and alerts on the path",
        ),
    ]
    return Plan(
        steps=steps,
        focus_ci=ci,
        intent=parsed.intent.value,
        rationale="topology first, then upstream metrics and changes in parallel",
    )


def _what_changed(parsed: ParsedQuestion, *_: object) -> Plan:
    plan = _investigation(parsed)
    for step in plan.steps:
        if step.id == "changes":
            step.params["kinds"] = ["deploy", "config_change", "incident"]
    return plan


def _topology(parsed: ParsedQuestion, *_: object) -> Plan:
    direction = "downstream" if parsed.intent is Intent.DEPENDENTS else "upstream"
    return Plan(
        steps=[
            PlanStep(
                id="topology",
                capability=Capability.GRAPH_TRAVERSAL,
                params={"ci": parsed.ci, "direction": direction, "depth": 6},
            )
        ],
        focus_ci=parsed.ci,
        intent=parsed.intent.value,
        rationale=f"{direction} walk of the dependency graph",
    )


def _alerts(parsed: ParsedQuestion, *_: object) -> Plan:
    params: dict[str, object] = {
        "kinds": ["alert", "incident"],
        "window_minutes": parsed.window_minutes,
    }
    if parsed.ci:
        params["ci"] = parsed.ci
    return Plan(
        steps=[PlanStep(id="alerts", capability=Capability.EVENT_SEARCH, params=params)],  # type: ignore[arg-type]
        focus_ci=parsed.ci,
        intent=parsed.intent.value,
        rationale="alerts in the window",
    )


def _top_n(parsed: ParsedQuestion, tenant_id: str, cis: list[CiInfo], at: datetime) -> Plan:
    metric = parsed.metric or "cpu"
    candidates = [c.name for c in cis if parsed.ci_type is None or c.ci_type == parsed.ci_type]
    step = PlanStep(
        id="top_n",
        capability=Capability.DATABASE_QUERY,
        params={
            "sql": top_n_sql(
                tenant_id, metric, parsed.ci_type, parsed.top_n, parsed.window_minutes, at
            )
        },
        description=f"top {parsed.top_n} by {metric}",
        # If the SQL is refused, the structured metric tool can still show the same CIs.
        fallback_capability=Capability.METRIC_TIMESERIES,
        fallback_params={
            "cis": candidates[:40],
            "metrics": [metric],
            "window_minutes": parsed.window_minutes,
            "history_hours": 0,
        },
    )
    return Plan(steps=[step], intent=parsed.intent.value, rationale="ad-hoc aggregate in SQL")


def _alert_counts(parsed: ParsedQuestion, tenant_id: str, _: list[CiInfo], at: datetime) -> Plan:
    severity = parsed.extras.get("severity", "info")
    minutes = parsed.window_minutes or _minutes_since_midnight(at)
    step = PlanStep(
        id="alert_counts",
        capability=Capability.DATABASE_QUERY,
        params={"sql": alert_counts_sql(tenant_id, severity, parsed.ci_type, minutes, at)},
        description="alert counts per CI",
        fallback_capability=Capability.EVENT_SEARCH,
        fallback_params={"kinds": ["alert"], "severity": severity, "window_minutes": minutes},
    )
    return Plan(steps=[step], intent=parsed.intent.value, rationale="ad-hoc count in SQL")


def _health(parsed: ParsedQuestion, tenant_id: str, _: list[CiInfo], at: datetime) -> Plan:
    steps = [
        PlanStep(id="inventory", capability=Capability.CI_SEARCH, params={"limit": 500}),
        PlanStep(
            id="alerts",
            capability=Capability.EVENT_SEARCH,
            params={
                "kinds": ["alert", "incident"],
                "severity": "warning",
                "window_minutes": max(parsed.window_minutes, 60),
            },
        ),
        PlanStep(
            id="error_leaders",
            capability=Capability.DATABASE_QUERY,
            params={"sql": health_sql(tenant_id, at)},
            description="services with the highest error rate in the last 15 minutes",
        ),
    ]
    return Plan(steps=steps, intent=parsed.intent.value, rationale="tenant health overview")


def _minutes_since_midnight(at: datetime) -> int:
    return max(1, at.hour * 60 + at.minute)


_BUILDERS: dict[Intent, Callable[..., Plan]] = {
    Intent.WHY_SLOW: _investigation,
    Intent.WHY_FAILING: _investigation,
    Intent.INVESTIGATE: _investigation,
    Intent.WHAT_CHANGED: _what_changed,
    Intent.DEPENDENTS: _topology,
    Intent.DEPENDENCIES: _topology,
    Intent.ALERTS: _alerts,
    Intent.TOP_N: _top_n,
    Intent.ALERT_COUNTS: _alert_counts,
    Intent.HEALTH: _health,
}
