"""Get-or-create for Prometheus collectors in the default registry.

The workflow sandbox and test reloads may import a metrics module more than once per
process, and a second ``Counter(...)`` with the same name raises ``Duplicated timeseries``:
the existing collector is reused instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from prometheus_client import REGISTRY, Counter, Gauge, Histogram

M = TypeVar("M", Counter, Gauge, Histogram)


def get_or_create(factory: Callable[[], M], name: str, kind: type[M]) -> M:
    # prometheus_client has no public lookup; its name index is the only one.
    existing = REGISTRY._names_to_collectors.get(name)
    if existing is not None:
        if not isinstance(existing, kind):
            raise TypeError(f"metric {name} already registered as {type(existing).__name__}")
        return existing
    return factory()


def gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
    return get_or_create(lambda: Gauge(name, doc, labels), name, Gauge)


def counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
    # Counters are indexed under the name with and without the ``_total`` suffix.
    return get_or_create(lambda: Counter(name, doc, labels), name, Counter)


def histogram(name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]) -> Histogram:
    return get_or_create(lambda: Histogram(name, doc, labels, buckets=buckets), name, Histogram)
