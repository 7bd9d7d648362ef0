"""What a metric name says about which direction is bad, and how much it weighs.

Names are matched on tokens so ``latency_p95``, ``PetSite latency Average`` and
``http.server.duration`` all land in the right family; unknown names are judged
both ways, because guessing a direction would hide half of their problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Family = Literal["availability", "errors", "latency", "saturation", "load", "unknown"]

# Families whose excursion is a health problem; a load change is context, not a fault.
HEALTH_FAMILIES: frozenset[str] = frozenset({"availability", "errors", "latency", "saturation"})

_AVAILABILITY = {"availability", "available", "success", "successrate", "apdex", "uptime"}
_ERRORS = {
    "error",
    "errors",
    "err",
    "failure",
    "failures",
    "failed",
    "fail",
    "5xx",
    "exceptions",
    "exception",
    "timeouts",
    "faults",
    "fault",
}
_LATENCY = {
    "latency",
    "duration",
    "responsetime",
    "rt",
    "p50",
    "p75",
    "p90",
    "p95",
    "p99",
    "p999",
    "elapsed",
    "wait",
}
_SATURATION = {
    "cpu",
    "memory",
    "mem",
    "saturation",
    "queue",
    "depth",
    "connections",
    "conns",
    "disk",
    "util",
    "utilization",
    "utilisation",
    "swap",
    "iowait",
    "lag",
    "heap",
    "gc",
    "threads",
    "backlog",
    "load",
    # cAdvisor / node-exporter spellings: container_fs_*, *_diskio, *_rss, working set.
    "diskio",
    "io",
    "fs",
    "filesystem",
    "rss",
    "workingset",
}
_LOAD = {
    "rps",
    "qps",
    "tps",
    "throughput",
    "requests",
    "request",
    "req",
    "reqs",
    "calls",
    "invocations",
    "traffic",
    "rate",
}


@dataclass(frozen=True)
class MetricProfile:
    family: Family
    # Weight of an excursion upwards / downwards; 0 means "not bad in that direction".
    up_weight: float
    down_weight: float
    # Smallest relative change (|value - baseline| / |baseline|) worth reporting: a robust
    # z-score alone flags tiny shifts of very stable series that nobody cares about.
    min_rel_change: float


_PROFILES: dict[Family, MetricProfile] = {
    "latency": MetricProfile("latency", 1.0, 0.0, 0.2),
    "errors": MetricProfile("errors", 1.0, 0.0, 0.25),
    "saturation": MetricProfile("saturation", 1.0, 0.0, 0.15),
    # Availability lives just under 100 %: a drop to 97 % is a 3 % relative change and
    # already an outage, so the relative floor is tiny.
    "availability": MetricProfile("availability", 0.0, 1.0, 0.005),
    # Traffic falling is a classic outage signal; a surge is mostly context.
    "load": MetricProfile("load", 0.5, 1.0, 0.3),
    "unknown": MetricProfile("unknown", 1.0, 1.0, 0.25),
}

_TOKEN = re.compile(r"[a-z0-9]+")


# A question reads the same few metric names on many CIs, and each name is classified
# several times (detection, traffic, propagation): parse each once. Bounded, since a
# long-running worker meets every tenant's names.
_NAME_CACHE = 4096


@lru_cache(maxsize=_NAME_CACHE)
def _tokens(metric: str) -> frozenset[str]:
    lowered = metric.lower()
    toks = set(_TOKEN.findall(lowered))
    # "success_rate" / "response_time" also as one token, so the sets above stay small.
    squashed = re.sub(r"[^a-z0-9]", "", lowered)
    toks.update({"successrate"} if "successrate" in squashed else set())
    toks.update({"responsetime"} if "responsetime" in squashed else set())
    toks.update({"workingset"} if "workingset" in squashed else set())
    return frozenset(toks)


@lru_cache(maxsize=_NAME_CACHE)
def classify(metric: str) -> Family:
    toks = _tokens(metric)
    # Order matters: "request_errors" is an error metric, "success_rate" is availability,
    # "requests_latency" is latency; the most specific health meaning wins over load.
    if toks & _AVAILABILITY:
        return "availability"
    if toks & _ERRORS:
        return "errors"
    if toks & _LATENCY:
        return "latency"
    if toks & _SATURATION:
        return "saturation"
    if toks & _LOAD:
        return "load"
    return "unknown"


def profile_for(metric: str) -> MetricProfile:
    return _PROFILES[classify(metric)]


def explains(child: Family, parent: Family) -> bool:
    """Whether an anomaly of family ``child`` on a dependency can cause ``parent`` upstream."""
    if child == "load":
        # More traffic on a dependency is usually the caller's doing (retries), not a cause.
        return False
    if child in ("saturation", "unknown") or parent == "unknown":
        return True
    failing = {"errors", "availability"}
    if child in failing and parent in failing:
        return True
    # A slow dependency makes callers slow, and time out (fail).
    return child == "latency" and parent in ("latency", *failing)


# The resource a saturation metric measures: a host's figure is the sum of its workloads'
# figures of the same resource, and only of that one.
_RESOURCES: dict[str, frozenset[str]] = {
    "cpu": frozenset({"cpu", "iowait", "load"}),
    "memory": frozenset({"memory", "mem", "heap", "swap", "rss", "workingset"}),
    "disk": frozenset({"disk", "diskio", "fs", "filesystem", "io"}),
    "network": frozenset({"network", "net", "rx", "tx", "bandwidth", "packets"}),
}


def resource_of(metric: str) -> str | None:
    toks = _tokens(metric)
    return next((name for name, words in _RESOURCES.items() if toks & words), None)


def same_resource(a: str, b: str) -> bool:
    """Whether two saturation metrics measure the same resource (CPU with CPU)."""
    kind = resource_of(a)
    return kind is not None and kind == resource_of(b)
