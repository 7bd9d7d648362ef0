"""Get-or-create for Prometheus collectors in the default registry, on the public API only.

A module defining metrics may be executed more than once per process (a test loading a
second copy, a reload), and a second ``Counter(...)`` with the same name raises
``Duplicated timeseries``: the collector made the first time is reused instead. The index
is ours (``prometheus_client`` has no public lookup by name); a name registered by someone
else still raises, as it should.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

M = TypeVar("M", Counter, Gauge, Histogram)

_MADE: dict[str, Counter | Gauge | Histogram] = {}


def get_or_create(factory: Callable[[], M], name: str, kind: type[M]) -> M:
    existing = _MADE.get(name)
    if existing is None:
        made = factory()
        _MADE[name] = made
        return made
    if not isinstance(existing, kind):
        raise TypeError(f"metric {name} already registered as {type(existing).__name__}")
    return existing


def gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
    return get_or_create(lambda: Gauge(name, doc, labels), name, Gauge)


def counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
    return get_or_create(lambda: Counter(name, doc, labels), name, Counter)


def histogram(name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]) -> Histogram:
    return get_or_create(lambda: Histogram(name, doc, labels, buckets=buckets), name, Histogram)
