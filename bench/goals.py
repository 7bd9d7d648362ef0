"""The issue's goals, checked against the figures (a missing figure is not met)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

# figure -> (comparison, bound, text)
GOALS: dict[str, tuple[Callable[[float, float], bool], float, str]] = {
    "overhead_ratio": (operator.le, 1.15, "<= 1.15"),
    "speedup_of_ideal": (operator.ge, 0.9, ">= 0.9 (parallel_speedup / ideal_speedup)"),
    "throughput_ratio": (operator.ge, 0.7, ">= 0.7 (worst of 50 and 200 concurrent)"),
    "validator_us_p50": (operator.le, 500.0, "<= 500 us"),
    "validator_share": (operator.le, 0.05, "<= 5% of direct_query"),
    "worker_peak_rss_mb": (operator.le, 400.0, "<= 400 MB"),
    "scale_p50_ratio": (operator.le, 1.2, "<= 1.2 (p50 on the largest table over the small)"),
}


def evaluate(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, (compare, bound, text) in GOALS.items():
        value = figures.get(name)
        out[name] = {
            "goal": text,
            "value": value,
            "met": value is not None and compare(float(value), bound),
        }
    return out
