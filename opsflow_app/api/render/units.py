"""The unit a metric is measured in, from its name (the seeded and imported families)."""

from __future__ import annotations

# First matching prefix wins; names are the ones the seed generator and importers write.
_UNITS: tuple[tuple[str, str], ...] = (
    ("latency", "ms"),
    ("duration", "ms"),
    ("error_rate", "ratio"),
    ("availability", "%"),
    ("cpu", "%"),
    ("memory_gb", "GB"),
    ("memory", "%"),
    ("rps", "req/s"),
    ("requests", "req"),
    ("errors", "count"),
)


def metric_of(series_name: str) -> str:
    """Series are named ``<ci>.<metric>``; a CI name may itself hold dots."""
    return series_name.rpartition(".")[2] or series_name


def unit_for(metric: str) -> str:
    for prefix, unit in _UNITS:
        if metric.startswith(prefix):
            return unit
    return "value"
