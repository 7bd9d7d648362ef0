"""SQL the rule planner writes for ad-hoc questions. It still goes through the validator
in ``direct_query`` like any LLM-written SQL: the planner is not trusted either."""

from __future__ import annotations

from datetime import datetime


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ts(at: datetime) -> str:
    return f"TIMESTAMPTZ {_literal(at.isoformat())}"


def top_n_sql(
    tenant_id: str, metric: str, ci_type: str | None, n: int, window_minutes: int, at: datetime
) -> str:
    type_filter = f" AND c.ci_type = {_literal(ci_type)}" if ci_type else ""
    return (
        "SELECT c.name, c.ci_type, round(avg(m.value)::numeric, 3) AS avg_value,"
        " round(max(m.value)::numeric, 3) AS max_value"
        " FROM metric_sample m JOIN ci c ON c.id = m.ci_id AND c.tenant_id = m.tenant_id"
        f" WHERE m.tenant_id = {_literal(tenant_id)} AND c.tenant_id = {_literal(tenant_id)}"
        f" AND m.metric = {_literal(metric)}{type_filter}"
        f" AND m.ts > {_ts(at)} - INTERVAL '{int(window_minutes)} minutes' AND m.ts <= {_ts(at)}"
        f" GROUP BY c.name, c.ci_type ORDER BY avg_value DESC LIMIT {int(n)}"
    )


def alert_counts_sql(
    tenant_id: str, severity: str, ci_type: str | None, minutes: int, at: datetime
) -> str:
    type_filter = f" AND c.ci_type = {_literal(ci_type)}" if ci_type else ""
    severity_filter = f" AND e.severity = {_literal(severity)}" if severity != "info" else ""
    return (
        "SELECT c.name, c.ci_type, count(*) AS alerts, max(e.ts) AS last_alert"
        " FROM event e JOIN ci c ON c.id = e.ci_id AND c.tenant_id = e.tenant_id"
        f" WHERE e.tenant_id = {_literal(tenant_id)} AND c.tenant_id = {_literal(tenant_id)}"
        f" AND e.kind = 'alert'{severity_filter}{type_filter}"
        f" AND e.ts > {_ts(at)} - INTERVAL '{int(minutes)} minutes' AND e.ts <= {_ts(at)}"
        " GROUP BY c.name, c.ci_type ORDER BY alerts DESC, c.name"
    )


def health_sql(tenant_id: str, at: datetime) -> str:
    return (
        "SELECT c.name, round(avg(m.value)::numeric, 4) AS error_rate"
        " FROM metric_sample m JOIN ci c ON c.id = m.ci_id AND c.tenant_id = m.tenant_id"
        f" WHERE m.tenant_id = {_literal(tenant_id)} AND c.tenant_id = {_literal(tenant_id)}"
        " AND c.ci_type = 'service' AND m.metric = 'error_rate'"
        f" AND m.ts > {_ts(at)} - INTERVAL '15 minutes' AND m.ts <= {_ts(at)}"
        " GROUP BY c.name ORDER BY error_rate DESC LIMIT 10"
    )


__all__ = ["alert_counts_sql", "health_sql", "top_n_sql"]
