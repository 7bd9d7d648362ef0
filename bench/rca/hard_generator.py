"""``generate_case(kind, seed, index)``: one seeded, self-contained hard RCA case.

Pure: the same (kind, seed, index) gives the same case, byte for byte, on any machine
(``random.Random`` seeded with a string, no clock, no global state). A case is a random
service graph (``hard_topology``), telemetry from a physical model (``hard_signals``), one
fault mechanism (``hard_faults``), routine decoys present in every case (releases on
healthy services hours before), and, for the difficulty kinds, the difficulty itself.
See bench/rca/README.md, "(c) Hard generator".
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from bench.rca.hard_faults import (
    Injection,
    Timeline,
    baseline_latency,
    dependencies,
    deploy_event,
    inject,
)
from bench.rca.hard_model import (
    CLASSIC,
    DIFFICULTIES,
    FaultKind,
    HardCase,
    Metric,
    Sample,
    Symptom,
)
from bench.rca.hard_signals import Channel, Shift, World, draw_world, render, time_grid
from bench.rca.hard_topology import build_topology

BASE = datetime(2025, 5, 5, tzinfo=UTC)
SPREAD_DAYS = 30  # cases start anywhere in a month, at every time of day
FINE_STEP_S = 5
STEP_S = 60


def _minutes(step_s: int, minutes: float) -> int:
    return max(1, round(minutes * 60 / step_s))


def _timeline(kind: FaultKind, rng: random.Random) -> tuple[Timeline, int]:
    """The grid, the onset index and the reference time; returns (timeline, point count)."""
    step = FINE_STEP_S if kind == FaultKind.FINE_STEP else STEP_S
    if kind == FaultKind.SHORT_HISTORY:
        before = rng.randint(5, 10)
    elif kind == FaultKind.FINE_STEP:
        before = _minutes(step, rng.uniform(15.0, 40.0))
    elif kind == FaultKind.OLD_LEVEL_SHIFT:
        before = _minutes(step, rng.uniform(4.5, 6.0) * 60)
    else:
        before = _minutes(step, rng.uniform(2.0, 5.0) * 60)
    fine = step == FINE_STEP_S
    at_after = _minutes(step, rng.uniform(1.0, 4.0) if fine else rng.uniform(2.0, 6.0))
    # Data may stop at the reference time (asked live) or run on for minutes (asked later).
    tail = round(rng.uniform(0.0, 8.0) * 60 / step)
    start = BASE + timedelta(minutes=rng.randint(0, SPREAD_DAYS * 24 * 60))
    count = before + at_after + tail + 1
    stamps = time_grid(start, step, count)
    return Timeline(stamps, before, stamps[before + at_after], step), count


def _old_shift(world: World, tl: Timeline, truth: str, rng: random.Random) -> tuple[Shift, str]:
    """A permanent change on another dependency 1.5-4 h before the onset."""
    ci = rng.choice([d for d in dependencies(world.topology) if d != truth])
    start = tl.onset - _minutes(tl.step_s, rng.uniform(1.5, 4.0) * 60)
    channel = rng.choice([Channel.LATENCY, Channel.ERRORS, Channel.CPU])
    # Latency: the CI's whole p95 rises by half to one and a half times, its own time by more.
    p95_over_own = baseline_latency(world)[ci] / world.profiles[ci].latency_ms
    value = {
        Channel.LATENCY: rng.uniform(0.5, 1.5) * p95_over_own,
        Channel.ERRORS: rng.uniform(0.01, 0.05),
        Channel.CPU: rng.uniform(15.0, 30.0),
    }[channel]
    return Shift(ci, channel, start, value, 1), f"old_{channel}_shift:{ci}"


def _routine_deploys(world: World, tl: Timeline, rng: random.Random) -> list[tuple[str, datetime]]:
    """Releases of healthy services 20 min to 4 h before the onset, as every system has."""
    services = [s for s in dependencies(world.topology, databases=False)]
    onset = tl.stamps[tl.onset]
    return [
        (ci, onset - timedelta(minutes=rng.uniform(20.0, 240.0)))
        for ci in rng.sample(services, k=min(len(services), rng.randint(0, 2)))
    ]


def _asked_metrics(symptom: Symptom) -> set[str]:
    if symptom == Symptom.SLOW:
        return {Metric.LATENCY}
    return {Metric.ERRORS, Metric.AVAILABILITY}


def _punch_holes(
    samples: list[Sample], inj: Injection, entry: str, rng: random.Random
) -> tuple[list[Sample], list[tuple[str, str]]]:
    """Whole series dropped (the asked one sometimes) and gaps (NaN runs) in others.
    The root keeps the series that shows its fault, or the case would have no answer."""
    keys = sorted({(ci, m) for _, ci, m, _ in samples})
    protect = {inj.primary} if inj.primary else set()
    asked = {(entry, m) for m in _asked_metrics(inj.symptom)}
    drop_asked = rng.random() < 0.4
    missing = [
        k for k in keys if k not in protect and (rng.random() < 0.25 or (drop_asked and k in asked))
    ]
    stamps = sorted({ts for ts, _, _, _ in samples})
    holes: set[tuple[str, str, datetime]] = set()
    for key in keys:
        if key in protect or key in missing or rng.random() >= 0.4:
            continue
        for _ in range(rng.randint(1, 3)):
            length = rng.randint(3, 15)
            first = rng.randrange(0, max(1, len(stamps) - length))
            holes.update((key[0], key[1], ts) for ts in stamps[first : first + length])
    gone = set(missing)
    out = [
        (ts, ci, m, math.nan if (ci, m, ts) in holes else v)
        for ts, ci, m, v in samples
        if (ci, m) not in gone
    ]
    return out, missing


def generate_case(kind: FaultKind, seed: int, index: int) -> HardCase:
    rng = random.Random(f"hard-rca|{seed}|{kind.value}|{index}")
    fault = rng.choice(CLASSIC) if kind in DIFFICULTIES else kind
    topo = build_topology(rng)
    tl, _ = _timeline(kind, rng)
    inj = inject(fault, draw_world(topo, rng), tl, rng)
    shifts, events, decoys = list(inj.shifts), list(inj.events), list(inj.decoys)
    if fault != FaultKind.BAD_DEPLOY:
        for ci, ts in _routine_deploys(inj.world, tl, rng):
            events.append(deploy_event(ci, ts, rng))
            decoys.append(f"deploy:{ci}")
    noisy: dict[str, float] = {}
    if kind == FaultKind.OLD_LEVEL_SHIFT:
        shift, label = _old_shift(inj.world, tl, inj.truth, rng)
        shifts.append(shift)
        decoys.append(label)
    if kind == FaultKind.NOISY_SERVICES:
        others = [d for d in dependencies(topo) if d != inj.truth]
        for ci in rng.sample(others, k=min(len(others), rng.randint(3, 5))):
            noisy[ci] = rng.uniform(2.5, 4.0)
            decoys.append(f"noisy:{ci}")
    samples = render(inj.world, tl.stamps, shifts, rng, noisy)
    missing: list[tuple[str, str]] = []
    if kind == FaultKind.MISSING_SERIES:
        samples, missing = _punch_holes(samples, inj, topo.entry, rng)
        decoys += [f"missing:{ci}/{m}" for ci, m in missing]
    return HardCase(
        key=f"{kind.value}/s{seed}/{index}",
        kind=kind,
        fault=fault,
        entry=topo.entry,
        symptom=inj.symptom,
        question=f"why is {topo.entry} {inj.symptom.value}?",
        onset=tl.stamps[tl.onset],
        at=tl.at,
        truth=inj.truth,
        step_s=tl.step_s,
        cis=sorted(topo.types.items()),
        edges=topo.edges(),
        samples=samples,
        events=sorted(events),
        missing=missing,
        decoys=decoys,
    )


def generate_suite(
    per_kind: int, seed: int = 1, kinds: tuple[FaultKind, ...] = tuple(FaultKind)
) -> list[HardCase]:
    return [generate_case(kind, seed, i) for kind in kinds for i in range(per_kind)]
