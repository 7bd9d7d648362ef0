"""Injected incidents: where they go, when they start, and what they do to the telemetry.

Three kinds, one each per tenant:
- ``bad_deploy``: a service is deployed, its latency and errors jump; its direct callers
  slow down a little later. The question names a direct caller.
- ``db_saturation``: a database's CPU saturates and its latency multiplies; callers up to
  two hops slow down. The question names the farthest affected caller.
- ``noisy_neighbour``: a host's CPU goes to ~95 %; every service on it slows down. The
  question names a service running on the host (it depends on the host via runs_on).

Ground truth stays clean: the incidents are placed so that nothing an incident affects
depends (transitively, hosts included) on what another incident affects.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsflow_app.seed.model import Series
from opsflow_app.seed.topology import Graph

KINDS: tuple[str, ...] = ("bad_deploy", "db_saturation", "noisy_neighbour")


@dataclass(frozen=True)
class Plan:
    kind: str
    root: str
    hops: dict[str, int]  # affected CI -> hops from the root (root: 0)
    question_ci: str


@dataclass(frozen=True)
class Timed:
    plan: Plan
    start: datetime


def _candidates(graph: Graph, kind: str, frontends: Sequence[str]) -> list[Plan]:
    """Every placement of one kind. Frontends (and the load balancers above them) are never
    affected: they call almost everything, so an effect there would reach every other
    incident's CIs and blur the ground truth."""
    edge = set(frontends) | set(graph.of_type("load_balancer"))

    def inner_callers(name: str) -> list[str]:
        return [c for c in graph.callers[name] if c not in edge]

    plans: list[Plan] = []
    if kind == "bad_deploy":
        for svc in graph.of_type("service"):
            callers = inner_callers(svc)
            if svc in edge or not callers:
                continue
            hops = {svc: 0, **{c: 1 for c in callers}}
            plans.extend(Plan(kind, svc, hops, q) for q in sorted(callers))
    elif kind == "db_saturation":
        for db in graph.of_type("database"):
            hops = {n: h for n, h in graph.upstream(db, 2).items() if n not in edge}
            far = max(hops.values())
            questions = [n for n, h in hops.items() if h == far and graph.types[n] == "service"]
            if far == 0 or not questions:
                continue
            plans.extend(Plan(kind, db, hops, q) for q in sorted(questions))
    else:
        for host, workloads in graph.hosted.items():
            services = [w for w in workloads if graph.types[w] == "service"]
            if len(services) < 2 or edge & set(services):
                continue
            hops = {host: 0, **{s: 1 for s in services}}
            plans.extend(Plan(kind, host, hops, q) for q in sorted(services))
    return plans


def choose_incidents(graph: Graph, frontends: Sequence[str], rng: random.Random) -> list[Plan]:
    """One plan per kind, pairwise independent (see module doc); seeded choice.
    Independence depends on the root only, so roots are searched and the question drawn
    after; pairs are pruned before the third kind is tried."""
    by_root: list[dict[str, list[Plan]]] = []
    for kind in KINDS:
        grouped: dict[str, list[Plan]] = {}
        for plan in _candidates(graph, kind, frontends):
            grouped.setdefault(plan.root, []).append(plan)
        by_root.append(grouped)
    reach: dict[str, set[str]] = {}

    def independent(a: Plan, b: Plan) -> bool:
        for plan in (a, b):
            if plan.root not in reach:
                reach[plan.root] = graph.downstream(plan.hops)
        return not (reach[a.root] & b.hops.keys()) and not (reach[b.root] & a.hops.keys())

    order = []
    for grouped in by_root:
        roots = sorted(grouped)
        rng.shuffle(roots)
        order.append([grouped[r][0] for r in roots])
    for a in order[0]:
        for b in order[1]:
            if not independent(a, b):
                continue
            for c in order[2]:
                if independent(a, c) and independent(b, c):
                    return [rng.choice(g[p.root]) for g, p in zip(by_root, (a, b, c), strict=True)]
    raise RuntimeError("no independent placement of the three incidents in this topology")


def schedule(plans: Sequence[Plan], stamps: Sequence[datetime], rng: random.Random) -> list[Timed]:
    """Onsets 18-55 min before the end, staggered, on the sample grid: a 60-minute window
    ending at ``end`` sees every onset and a stretch of normal behaviour before it."""
    end = stamps[-1]
    offsets = [rng.uniform(46, 55), rng.uniform(32, 40), rng.uniform(18, 25)]
    rng.shuffle(offsets)
    timed = []
    for plan, minutes in zip(plans, offsets, strict=True):
        target = end - timedelta(minutes=minutes)
        start = min((ts for ts in stamps if ts >= target), default=end)
        timed.append(Timed(plan, start))
    return timed


def _ramp(
    values: array[float],
    stamps: Sequence[datetime],
    begin: datetime,
    ramp_min: float,
    rng: random.Random,
    *,
    mult: float = 1.0,
    add: float = 0.0,
    toward: float | None = None,
) -> None:
    """From ``begin``, blend in the effect over ``ramp_min`` minutes, then hold it.
    Multiplying keeps the baseline's noise; ``toward`` pulls the value to a level
    (saturation) with a little noise of its own."""
    for i, ts in enumerate(stamps):
        if ts < begin:
            continue
        w = min(1.0, ((ts - begin).total_seconds() / 60.0 + 1.0) / max(ramp_min, 1.0))
        v = values[i]
        if toward is not None:
            v = v * (1 - w) + (toward + rng.gauss(0, 1.0)) * w
        values[i] = v * (1 + (mult - 1) * w) + add * w


def apply_effects(
    timed: Timed,
    graph: Graph,
    series: dict[tuple[str, str], Series],
    stamps: Sequence[datetime],
    rng: random.Random,
) -> None:
    plan, t0 = timed.plan, timed.start
    minute = timedelta(minutes=1)

    def vals(name: str, metric: str) -> array[float] | None:
        s = series.get((name, metric))
        return s.values if s is not None else None

    def hit(name: str, metric: str, begin: datetime, ramp: float, **kw: float) -> None:
        v = vals(name, metric)
        if v is not None:
            _ramp(v, stamps, begin, ramp, rng, **kw)

    root = plan.root
    if plan.kind == "bad_deploy":
        begin = t0 + minute
        hit(root, "latency_p95", begin, 2, mult=rng.uniform(2.5, 4.0))
        hit(root, "error_rate", begin, 2, add=rng.uniform(0.04, 0.12))
        hit(root, "cpu", begin, 2, add=rng.uniform(8, 15))
        for name, hop in plan.hops.items():
            if hop == 1:
                hit(name, "latency_p95", begin + 2 * minute, 3, mult=rng.uniform(1.4, 1.8))
                hit(name, "error_rate", begin + 2 * minute, 3, add=rng.uniform(0.01, 0.03))
    elif plan.kind == "db_saturation":
        hit(root, "cpu", t0, 5, toward=rng.uniform(93, 98))
        hit(root, "latency_p95", t0, 5, mult=rng.uniform(5, 9))
        hit(root, "error_rate", t0 + 2 * minute, 5, add=rng.uniform(0.005, 0.02))
        for name, hop in plan.hops.items():
            if hop == 0:
                continue
            factor = rng.uniform(1.8, 2.6) if hop == 1 else rng.uniform(1.4, 1.8)
            hit(name, "latency_p95", t0 + hop * minute, 5, mult=factor)
            if hop == 1:
                hit(name, "error_rate", t0 + 2 * minute, 5, add=rng.uniform(0.01, 0.03))
    else:
        hit(root, "cpu", t0, 3, toward=rng.uniform(94, 97))
        hit(root, "memory", t0, 3, add=rng.uniform(4, 8))
        for name, hop in plan.hops.items():
            if hop == 1:
                hit(name, "latency_p95", t0 + minute, 3, mult=rng.uniform(1.7, 2.3))
