"""The issue's goals, checked against the figures (a missing figure is not met).

Every goal is a ratio measured side by side in the same run (OpsFlow against the bare
Temporal workflow of the same shape, or 2 worker processes against 1), so a machine that
is slower or busier as a whole moves both sides; batches alternate A B A B.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

# figure -> (comparison, bound, text)
GOALS: dict[str, tuple[Callable[[float, float], bool], float, str]] = {
    "overhead_ratio": (operator.le, 1.15, "<= 1.15"),
    "overhead_vs_bare": (operator.lt, 1.0, "< 1 (overhead_ratio / bare_overhead_ratio)"),
    "speedup_of_ideal": (operator.ge, 0.92, ">= 0.92 (parallel_speedup / ideal_speedup)"),
    "throughput_ratio_50": (operator.ge, 0.7, ">= 0.7 at 50 concurrent (A B A B)"),
    "throughput_ratio_200": (operator.ge, 0.7, ">= 0.7 at 200 concurrent (A B A B)"),
    "cpu_per_question_ratio": (operator.le, 1.3, "<= 1.3x the bare shape's (worst concurrency)"),
    "wf_tasks_ratio": (operator.lt, 1.0, "< 1 (workflow tasks per question over the bare shape's)"),
    "processes_speedup": (operator.ge, 1.5, ">= 1.5 (2 worker processes over 1)"),
    "validator_us_p50": (operator.le, 500.0, "<= 500 us"),
    "validator_share": (operator.le, 0.05, "<= 5% of direct_query"),
    "worker_peak_rss_mb": (operator.le, 400.0, "<= 400 MB"),
    "scale_p50_ratio": (operator.le, 1.2, "<= 1.2 (p50 on the largest table over the small)"),
}


def derived(figures: dict[str, Any]) -> dict[str, Any]:
    """Ratios computed from two figures of the same run."""
    out: dict[str, Any] = {}
    ops, bare = figures.get("overhead_ratio"), figures.get("bare_overhead_ratio")
    if ops is not None and bare:
        out["overhead_vs_bare"] = round(float(ops) / float(bare), 3)
    return out


def evaluate(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = {**figures, **derived(figures)}
    out = {}
    for name, (compare, bound, text) in GOALS.items():
        value = values.get(name)
        out[name] = {
            "goal": text,
            "value": value,
            "met": value is not None and compare(float(value), bound),
        }
    return out
