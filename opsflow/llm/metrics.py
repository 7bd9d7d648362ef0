"""Prometheus metrics of the LLM client and its circuit breaker (default registry).

Registration is idempotent: Temporal's workflow sandbox and test reloads may import this
module more than once per process, and a second ``Gauge(...)`` with the same name would
raise ``Duplicated timeseries``. The existing collector is reused instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from prometheus_client import REGISTRY, Counter, Gauge, Histogram

_M = TypeVar("_M", Counter, Gauge, Histogram)


def _register(factory: Callable[[], _M], name: str, kind: type[_M]) -> _M:
    # prometheus_client has no public "get or create"; its name index is the only lookup.
    existing = REGISTRY._names_to_collectors.get(name)
    if existing is not None:
        if not isinstance(existing, kind):
            raise TypeError(f"metric {name} already registered as {type(existing).__name__}")
        return existing
    return factory()


def _gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
    return _register(lambda: Gauge(name, doc, labels), name, Gauge)


def _counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
    # Counters are indexed under the name with and without the ``_total`` suffix.
    return _register(lambda: Counter(name, doc, labels), name, Counter)


def _histogram(name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]) -> Histogram:
    return _register(lambda: Histogram(name, doc, labels, buckets=buckets), name, Histogram)


BREAKER_STATE = _gauge(
    "opsflow_llm_breaker_state",
    "LLM circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.",
    ["endpoint"],
)
LLM_REQUESTS = _counter(
    "opsflow_llm_requests",
    "LLM calls by purpose and outcome (ok or an error code).",
    ["endpoint", "purpose", "outcome"],
)
LLM_TOKENS = _counter(
    "opsflow_llm_tokens",
    "Tokens reported by the LLM endpoint.",
    ["endpoint", "kind"],
)
LLM_LATENCY = _histogram(
    "opsflow_llm_latency_seconds",
    "Wall time of LLM calls, failures included.",
    ["endpoint", "purpose"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0),
)
