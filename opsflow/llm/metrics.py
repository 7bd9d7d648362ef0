"""Prometheus metrics of the LLM client and its circuit breaker (default registry).

Registration is idempotent: Temporal's workflow sandbox and test reloads may import this
module more than once per process, and a second ``Gauge(...)`` with the same name would
raise ``Duplicated timeseries``. The existing collector is reused instead.
"""

from __future__ import annotations

from opsflow.prometheus_registry import counter as _counter
from opsflow.prometheus_registry import gauge as _gauge
from opsflow.prometheus_registry import histogram as _histogram

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
