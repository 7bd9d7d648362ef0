"""The operator's sources file, and which metric tools a tenant gets from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsflow.catalog import default_registry
from opsflow.sources.model import SourceError, parse_sources
from opsflow.sources.promql import PromqlTemplateError
from opsflow.sources.routing import MetricSource, MetricSourceKind, route_metric_tools
from opsflow_app.stack.prometheus_server import prometheus_available

GOOD = """
prometheus:
  url: http://127.0.0.1:9090/
  bearer_token_env: PROM_TOKEN
  step_s: 30
  metrics:
    latency_p95: 'svc_latency_p95_ms{service="{ci}"}'
    cpu: 'avg(rate(svc_cpu_seconds_total{service="{ci}"}[5m])) * 100'
"""


def test_the_issue_example_parses() -> None:
    sources = parse_sources(GOOD)
    assert sources.prometheus is not None
    assert sources.prometheus.url == "http://127.0.0.1:9090"
    assert sources.prometheus.template("cpu").render("web") == (
        'avg(rate(svc_cpu_seconds_total{service="web"}[5m])) * 100'
    )


def test_the_token_comes_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    source = parse_sources(GOOD).prometheus
    assert source is not None
    monkeypatch.delenv("PROM_TOKEN", raising=False)
    with pytest.raises(SourceError, match="PROM_TOKEN is not set"):
        source.request_headers()
    monkeypatch.setenv("PROM_TOKEN", "s3cret")
    assert source.request_headers() == {"Authorization": "Bearer s3cret"}
    assert "s3cret" not in source.model_dump_json()


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        ("prometheus: [", SourceError, "not YAML"),
        ("- a list", SourceError, "mapping"),
        ("prometheus:\n  url: ftp://x\n  metrics: {cpu: 'x{a=\"{ci}\"}'}", SourceError, "url"),
        ("prometheus:\n  url: http://x\n  metrics: {}", SourceError, "metrics"),
        (
            "prometheus:\n  url: http://x\n  metrics: {cpu: 'x{a=\"{ci}\"}'}\n  tls: 1",
            SourceError,
            "tls",
        ),
        (
            "prometheus:\n  url: http://x\n  metrics: {Bad-Name: 'x{a=\"{ci}\"}'}",
            SourceError,
            "Bad-Name",
        ),
        (
            "prometheus:\n  url: http://x\n  metrics: {cpu: 'x{a=\"b\"}'}",
            PromqlTemplateError,
            "metrics.cpu: has no {ci}",
        ),
        (
            "prometheus:\n  url: http://x\n  metrics: {cpu: 'x{a=\"{ci}\"'}",
            PromqlTemplateError,
            "metrics.cpu: not valid PromQL",
        ),
    ],
)
def test_bad_files_say_what_is_wrong(text: str, error: type[Exception], says: str) -> None:
    with pytest.raises(error) as refused:
        parse_sources(text)
    assert says in str(refused.value)


def _chain(source: MetricSource) -> list[str]:
    choice = route_metric_tools(default_registry(), source).recommend_tool("metric_timeseries")
    assert choice is not None
    return [choice.primary, *choice.fallbacks]


def test_a_prometheus_tenant_gets_prometheus_first_then_coarse_then_rollups() -> None:
    prom = MetricSourceKind.PROMETHEUS
    assert _chain(MetricSource(kind=prom)) == [
        "prometheus_query",
        "prometheus_coarse_fallback",
        "metric_rollup_fallback",
    ]
    assert _chain(MetricSource(kind=prom, has_rollups=False)) == [
        "prometheus_query",
        "prometheus_coarse_fallback",
    ]


def test_other_tenants_keep_the_sql_tools_and_never_see_prometheus() -> None:
    registry = route_metric_tools(default_registry(), MetricSource())
    assert _chain(MetricSource()) == ["metric_query", "metric_rollup_fallback"]
    assert "prometheus" not in registry.catalog_text()


def test_without_the_package_the_demo_says_how_to_enable_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from opsflow_app.cli.demo import live_metrics_hint

    monkeypatch.setenv("PATH", str(tmp_path))
    assert not prometheus_available()
    assert "apt-get install prometheus" in live_metrics_hint()


def test_llm_sql_cannot_read_the_sources_table() -> None:
    from opsflow.sql import check_sql_lines

    [verdict] = check_sql_lines(
        ["SELECT config FROM tenant_source WHERE tenant_id = 't_acme'"], "t_acme"
    )
    assert verdict["valid"] is False
