"""One answer per intent, built on the result contract (not on today's analysis output),
for the renderer tests. Names are long on purpose: they must wrap, never be cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsflow.models import (
    Evidence,
    FallbackDetails,
    GraphBlock,
    MarkdownBlock,
    Marker,
    OrchestrationResult,
    Reference,
    ReferencesBlock,
    RootCause,
    SeriesLine,
    Status,
    TableBlock,
    TimeseriesBlock,
)

AT = datetime(2026, 11, 29, 7, 40, tzinfo=UTC)
LONG_CI = "inventory-service-eu-west-primary"
DEPLOY_AT = AT - timedelta(minutes=25)


def _base(question: str, intent: str, **fields: object) -> OrchestrationResult:
    return OrchestrationResult.model_validate(
        {
            "workflow_id": "opsflow-t_acme-0123456789ab",
            "tenant_id": "t_acme",
            "question": question,
            "status": Status.SUCCESS,
            "intent": intent,
            "reference_time": AT,
            "phase_timings_ms": {"total": 812.0},
            "ui_url": "http://localhost:8233/namespaces/default/workflows/opsflow-t_acme-0123456789ab",
            **fields,
        }
    )


def why_slow() -> OrchestrationResult:
    points = [
        (AT - timedelta(minutes=60 - i), 120.0 + (300.0 if i > 35 else 0.0)) for i in range(60)
    ]
    evidence = [
        Evidence(
            kind="change", description=f"deploy of {LONG_CI} v2.4.1", ci=LONG_CI, ts=DEPLOY_AT
        ),
        Evidence(
            kind="anomaly", description="latency_p95 412 ms against baseline 120 ms", ci=LONG_CI
        ),
    ]
    return _base(
        "why is payments-api slow?",
        "why_slow",
        focus_ci="payments-api",
        summary="template",
        root_causes=[
            RootCause(ci=LONG_CI, score=0.91, evidence=evidence),
            RootCause(
                ci="payments-db",
                score=0.42,
                evidence=[Evidence(kind="anomaly", description="cpu 88 % against baseline 40 %")],
            ),
        ],
        blocks=[
            MarkdownBlock(title="Answer", text="**Most likely cause:** template text"),
            TableBlock(
                title="Root-cause candidates",
                columns=["rank", "ci", "score", "evidence"],
                rows=[[1, LONG_CI, 0.91, "deploy"], [2, "payments-db", 0.42, "cpu"]],
                total_rows=2,
            ),
            TimeseriesBlock(
                title="Key metric",
                series=[SeriesLine(name=f"{LONG_CI}.latency_p95", points=points)],
                markers=[
                    Marker(ts=AT - timedelta(minutes=5), label="config_change payments-api"),
                    Marker(ts=DEPLOY_AT, label=f"deploy {LONG_CI}"),
                ],
            ),
            TableBlock(
                title="Events (changes)",
                columns=["ts", "ci", "kind", "severity", "message"],
                rows=[[DEPLOY_AT.isoformat(), LONG_CI, "deploy", "info", "rolled out v2.4.1"]],
                total_rows=1,
            ),
            ReferencesBlock(title="Sources", items=[Reference(label="metrics via metric_query")]),
        ],
    )


def what_changed() -> OrchestrationResult:
    base = why_slow()
    return base.model_copy(
        update={"question": "what changed on payments-api?", "intent": "what_changed"}
    )


def dependents() -> OrchestrationResult:
    edges = [
        ("payments-api", "payments-db"),
        ("billing-worker", "payments-db"),
        ("checkout-api", "payments-api"),
        (LONG_CI, "checkout-api"),
        ("storefront-web", "checkout-api"),
        ("mobile-gateway", "billing-worker"),
    ]
    nodes = sorted({n for e in edges for n in e})
    return _base(
        "what depends on payments-db?",
        "dependents",
        focus_ci="payments-db",
        summary="No anomaly against baseline was found: no cause to report.",
        blocks=[
            MarkdownBlock(title="Answer", text="No anomaly against baseline was found."),
            GraphBlock(title="Dependency path", nodes=nodes, edges=edges),
        ],
    )


def dependencies() -> OrchestrationResult:
    edges = [("checkout-api", "payments-api"), ("payments-api", "payments-db")]
    return _base(
        "what does checkout-api depend on?",
        "dependencies",
        focus_ci="checkout-api",
        blocks=[GraphBlock(title="Dependency path", nodes=["checkout-api"], edges=edges)],
    )


def top_n() -> OrchestrationResult:
    rows = [[f"{LONG_CI}-{i}", "host", 91.5 - i * 7.25, 99.0 - i] for i in range(5)]
    return _base(
        "top 5 hosts by cpu in the last hour",
        "top_n",
        blocks=[
            MarkdownBlock(title="Answer", text="No anomaly against baseline was found."),
            TableBlock(
                title="Query result (top_n)",
                columns=["name", "ci_type", "avg_value", "max_value"],
                rows=rows,
                total_rows=5,
            ),
        ],
    )


def top_n_fallback() -> OrchestrationResult:
    """The SQL was refused: the metric tool answered with series, not a ranking."""
    points = [(AT - timedelta(minutes=10 - i), 40.0 + i) for i in range(10)]
    return _base(
        "top 5 hosts by cpu in the last hour",
        "top_n",
        status=Status.DEGRADED,
        fallbacks=[
            FallbackDetails(
                reason="sql_blocked",
                tool_attempted="direct_query",
                tool_used_fallback="metric_query",
            )
        ],
        blocks=[
            TimeseriesBlock(
                title="Key metric", series=[SeriesLine(name="web-1.cpu", points=points)]
            )
        ],
    )


def alert_counts() -> OrchestrationResult:
    return _base(
        "how many critical alerts per service today?",
        "alert_counts",
        blocks=[
            TableBlock(
                title="Query result (alert_counts)",
                columns=["name", "ci_type", "alerts", "last_alert"],
                rows=[[LONG_CI, "service", 7, (AT - timedelta(minutes=3)).isoformat()]],
                total_rows=1,
            )
        ],
    )


def alerts() -> OrchestrationResult:
    day_before = AT - timedelta(days=1, minutes=10)
    return _base(
        "any alerts on payments-api?",
        "alerts",
        blocks=[
            TableBlock(
                title="Events (alerts)",
                columns=["ts", "ci", "kind", "severity", "message"],
                rows=[
                    [
                        (AT - timedelta(minutes=2)).isoformat(),
                        LONG_CI,
                        "alert",
                        "critical",
                        "p95 over SLO",
                    ],
                    [
                        day_before.isoformat(),
                        "payments-api",
                        "incident",
                        "warning",
                        "queue backlog",
                    ],
                ],
                total_rows=2,
            )
        ],
    )


def health() -> OrchestrationResult:
    return _base(
        "how is everything?",
        "health",
        blocks=[
            TableBlock(
                title="Configuration items (inventory)",
                columns=["name", "type", "environment", "status"],
                rows=[[LONG_CI, "service", "prod", "active"]],
                total_rows=42,
            ),
            TableBlock(
                title="Query result (error_leaders)",
                columns=["name", "error_rate"],
                rows=[[LONG_CI, 0.0412]],
                total_rows=1,
            ),
        ],
    )


def failure() -> OrchestrationResult:
    return _base(
        "why is nosuch-api slow?",
        "investigate",
        status=Status.FAILURE,
        error_code="UNKNOWN_CI",
        error_message="no configuration item named 'nosuch-api' in this tenant",
    )


ALL = {
    "why_slow": why_slow,
    "what_changed": what_changed,
    "dependents": dependents,
    "dependencies": dependencies,
    "top_n": top_n,
    "top_n_fallback": top_n_fallback,
    "alert_counts": alert_counts,
    "alerts": alerts,
    "health": health,
    "failure": failure,
}
