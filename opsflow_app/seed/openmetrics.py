"""Telemetry as OpenMetrics text, for ``promtool tsdb create-blocks-from openmetrics``.

Every OpsFlow metric ``m`` becomes the gauge ``opsflow_m`` with labels ``tenant`` and ``ci``
(the CI's name); ``seed_sources`` writes the PromQL templates that read them back, so the
same data can be served from PostgreSQL or from Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TextIO

from opsflow.sources.model import PrometheusSource, TenantSources
from opsflow.sources.promql import escape_label_value
from opsflow_app.seed.model import METRICS, TenantDataset

PREFIX = "opsflow_"
# (tenant, CI name, metric, time, value)
Sample = tuple[str, str, str, datetime, float]


def family(metric: str) -> str:
    return f"{PREFIX}{metric}"


def dataset_samples(ds: TenantDataset) -> Iterator[Sample]:
    names = {ci.id: ci.name for ci in ds.cis}
    for s in ds.series:
        for ts, value in zip(ds.timestamps, s.values, strict=True):
            yield (ds.tenant_id, names[s.ci_id], s.metric, ts, value)


def write_openmetrics(samples: Iterable[Sample], out: TextIO) -> int:
    """OpenMetrics text (families contiguous, series in time order, ``# EOF``); returns the
    number of samples written."""
    ordered = sorted(samples, key=lambda s: (s[2], s[0], s[1], s[3]))
    current = None
    count = 0
    for tenant, ci, metric, ts, value in ordered:
        if metric != current:
            out.write(f"# TYPE {family(metric)} gauge\n")
            current = metric
        labels = f'ci="{escape_label_value(ci)}",tenant="{escape_label_value(tenant)}"'
        out.write(f"{family(metric)}{{{labels}}} {value!r} {ts.timestamp():.3f}\n")
        count += 1
    out.write("# EOF\n")
    return count


def seed_sources(
    url: str, tenant_id: str, metrics: Iterable[str] = METRICS, step_s: int = 60
) -> TenantSources:
    """The sources that read a tenant's data written by ``write_openmetrics``."""
    tenant = escape_label_value(tenant_id)
    templates = {m: f'{family(m)}{{tenant="{tenant}",ci="{{ci}}"}}' for m in metrics}
    return TenantSources(prometheus=PrometheusSource(url=url, metrics=templates, step_s=step_s))
