"""Fault mechanisms as shifts on the physical model, with the events a real system logs.

Each mechanism picks its root from the entry's dependency closure, states the asked
symptom, the shifts that make it happen and the root's own metric that shows it
(``primary``; None for network delay, whose callee looks healthy by construction).
Severities are drawn from ranges, not fixed: some faults are loud, some are faint.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.rca.hard_model import CiType, EventRow, FaultKind, Metric, Symptom
from bench.rca.hard_signals import Channel, Shift, World, reference_host_cpu
from bench.rca.hard_topology import Topology


@dataclass
class Injection:
    truth: str
    symptom: Symptom
    shifts: list[Shift]
    primary: tuple[str, Metric] | None  # the root's own series that shows the fault
    world: World  # the world the fault happens in (weak symptom rewires its edges)
    events: list[EventRow] = field(default_factory=list)
    decoys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Timeline:
    stamps: list[datetime]
    onset: int  # index of the first faulty step
    at: datetime
    step_s: int

    def index_of(self, ts: datetime) -> int:
        return round((ts - self.stamps[0]).total_seconds() / self.step_s)


def dependencies(topo: Topology, *, databases: bool = True) -> list[str]:
    """Workloads in the entry's closure other than the entry, sorted (deterministic picks)."""
    wanted = {CiType.SERVICE, CiType.DATABASE} if databases else {CiType.SERVICE}
    closure = topo.closure()
    return sorted(n for n in closure if n != topo.entry and topo.types[n] in wanted)


def reach(world: World, weight: str) -> dict[str, float]:
    """How much of a workload's change reaches the entry: the sum over call paths from
    the entry of the product of the edges' ``weight`` (``latency_weight`` or
    ``error_share``). 1.0 for the entry itself."""
    topo = world.topology
    out = {name: 0.0 for name in world.profiles}
    out[topo.entry] = 1.0
    for caller in reversed(topo.callee_first()):  # callers first
        for dst in topo.calls.get(caller, ()):
            out[dst] += out[caller] * getattr(world.edges[(caller, dst)], weight)
    return out


def baseline_latency(world: World) -> dict[str, float]:
    """Noise-free p95 of every workload at its reference load."""
    topo = world.topology
    out: dict[str, float] = {}
    for name in topo.callee_first():
        own = world.profiles[name].latency_ms
        out[name] = own + sum(
            world.edges[(name, d)].latency_weight * out[d] for d in topo.calls.get(name, ())
        )
    return out


def baseline_errors(world: World) -> dict[str, float]:
    """Noise-free error rate of every workload (blips left out)."""
    topo = world.topology
    out: dict[str, float] = {}
    for name in topo.callee_first():
        ok = 1.0 - world.profiles[name].error_base
        for d in topo.calls.get(name, ()):
            ok *= 1.0 - world.edges[(name, d)].error_share * out[d]
        out[name] = 1.0 - ok
    return out


@dataclass(frozen=True)
class Target:
    """How strongly the asked CI is to show the fault; the root's change follows from it."""

    latency: tuple[float, float] = (0.3, 1.5)  # relative rise of the entry's p95
    errors: tuple[float, float] = (0.02, 0.1)  # error rate added at the entry
    # Errors relative to the entry's own baseline rate instead (a faint fault is judged
    # against what is normal there, not in absolute points).
    relative_errors: bool = False


LOUD = Target()
FAINT = Target(latency=(0.03, 0.08), errors=(0.15, 0.45), relative_errors=True)


def _own_delta_ms(world: World, root: str, rise: float) -> float:
    """Extra own time (ms) the root needs for the entry's p95 to rise by ``rise``."""
    entry_ms = baseline_latency(world)[world.topology.entry]
    return rise * entry_ms / max(reach(world, "latency_weight")[root], 1e-3)


def _cpu_for(world: World, root: str, delta_ms: float, rng: random.Random) -> float:
    """CPU points that make the root's own time grow by ``delta_ms`` through queueing
    (at least up to 80 %: saturation is what this fault is), at most 97 % busy."""
    p = world.profiles[root]
    ref_cpu = p.cpu_idle + p.cpu_per_load
    u_ref = max(ref_cpu, reference_host_cpu(world)[world.topology.host_of[root]]) / 100.0
    growth = 1.0 + delta_ms / p.latency_ms
    util = 1.0 - (1.0 - u_ref) / growth
    util = min(0.97, max(util, 0.8 + rng.uniform(0.0, 0.1)))
    return 100.0 * util - ref_cpu


def _errors_for(world: World, root: str, added: float) -> float:
    return min(0.9, added / max(reach(world, "error_share")[root], 1e-3))


def deploy_event(ci: str, ts: datetime, rng: random.Random) -> EventRow:
    major, minor, patch = rng.randint(1, 4), rng.randint(1, 30), rng.randint(1, 9)
    message = f"Deployed {ci} v{major}.{minor}.{patch} (was v{major}.{minor}.{patch - 1})"
    return (ts, ci, "deploy", "info", message)


def inject(fault: FaultKind, world: World, tl: Timeline, rng: random.Random) -> Injection:
    topo, t0 = world.topology, tl.onset
    ramp = max(1, round(30 / tl.step_s))  # about half a minute to full effect
    rise = rng.uniform(*LOUD.latency)
    if fault in (FaultKind.DEPENDENCY_CPU, FaultKind.SELF_CPU):
        root = topo.entry if fault == FaultKind.SELF_CPU else _felt_dependency(world, rng)
        add = _cpu_for(world, root, _own_delta_ms(world, root, rise), rng)
        shift = Shift(root, Channel.CPU, t0, add, ramp)
        return Injection(root, Symptom.SLOW, [shift], (root, Metric.CPU), world)
    if fault == FaultKind.DB_SATURATION:
        root = rng.choice([d for d in dependencies(topo) if topo.types[d] == CiType.DATABASE])
        slower = _own_delta_ms(world, root, rise) / world.profiles[root].latency_ms
        shifts = [
            # Lock and I/O contention: slower queries, busier CPU.
            Shift(root, Channel.LATENCY, t0, min(40.0, max(1.0, slower)), ramp),
            Shift(root, Channel.CPU, t0, rng.uniform(20.0, 40.0), ramp),
        ]
        return Injection(root, Symptom.SLOW, shifts, (root, Metric.LATENCY), world)
    if fault == FaultKind.HOST_CPU:
        root = _host_to_saturate(world, rng)
        add = rng.uniform(90.0, 98.0) - reference_host_cpu(world)[root]
        return Injection(
            root, Symptom.SLOW, [Shift(root, Channel.CPU, t0, add, ramp)], (root, Metric.CPU), world
        )
    if fault == FaultKind.BAD_DEPLOY:
        return _bad_deploy(world, tl, rng, ramp)
    if fault == FaultKind.ERROR_ONLY:
        root = rng.choice(dependencies(topo, databases=False))
        add = _errors_for(world, root, rng.uniform(*LOUD.errors))
        shift = Shift(root, Channel.ERRORS, t0, add, ramp)
        return Injection(root, Symptom.FAILING, [shift], (root, Metric.ERRORS), world)
    if fault == FaultKind.NETWORK_DELAY:
        # Delay on the root's network interface (netem on its pod): every response it
        # sends and every call it makes waits. Its callers slow down; its own time moves
        # only through its own calls, so a leaf (a database) looks healthy.
        root = rng.choice(_delay_roots(topo))
        delay = _own_delta_ms(world, root, rise)
        shifts = [
            Shift(root, Channel.DELAY_IN, t0, delay, ramp),
            Shift(root, Channel.DELAY_OUT, t0, delay, ramp),
        ]
        return Injection(root, Symptom.SLOW, shifts, None, world)
    if fault == FaultKind.WEAK_SYMPTOM:
        return _weak(world, tl, rng, ramp)
    raise ValueError(f"{fault} is a difficulty, not a fault mechanism")


def _delay_roots(topo: Topology) -> list[str]:
    """Where a delay can be told from its callers' own slowness: a CI two or more callers
    share, or one that calls others (its own time shows its delayed calls). A leaf with a
    single caller looks exactly like that caller slowing down: no data names it."""
    closure = topo.closure()
    told = [
        d
        for d in dependencies(topo)
        if len([c for c in topo.callers[d] if c in closure]) >= 2 or topo.calls.get(d)
    ]
    return told or dependencies(topo)


def _max_cpu_growth(world: World, ci: str) -> float:
    """The most a workload's own time can grow by queueing (97 % busy, the model's cap)."""
    p = world.profiles[ci]
    host = reference_host_cpu(world)[world.topology.host_of[ci]]
    u_ref = max(p.cpu_idle + p.cpu_per_load, host) / 100.0
    return min(12.0, (1.0 - u_ref) / 0.03)


def _felt_dependency(world: World, rng: random.Random) -> str:
    """A dependency whose CPU saturation can raise the entry's p95 by 30 % or more (an
    operator asks because they saw it); the most felt one if none can."""
    topo = world.topology
    reach_ms = reach(world, "latency_weight")
    entry_ms = baseline_latency(world)[topo.entry]
    felt = {
        d: reach_ms[d] * world.profiles[d].latency_ms * (_max_cpu_growth(world, d) - 1) / entry_ms
        for d in dependencies(topo)
    }
    loud = [d for d, v in felt.items() if v >= 0.3]
    return rng.choice(loud) if loud else max(felt, key=lambda d: felt[d])


def _host_to_saturate(world: World, rng: random.Random) -> str:
    """A host under the entry whose saturation the entry would feel (an operator asks
    because they saw it): the estimated p95 rise at the entry, with every workload on
    the host queueing at 90 % busy, is at least 30 %; the most felt host otherwise."""
    topo = world.topology
    closure = topo.closure()
    reach_ms = reach(world, "latency_weight")
    ref_host = reference_host_cpu(world)
    entry_ms = baseline_latency(world)[topo.entry]
    felt: dict[str, float] = {}
    for host in sorted({topo.host_of[w] for w in closure if w in topo.host_of}):
        extra = 0.0
        for w, h in topo.host_of.items():
            p = world.profiles[w]
            if h == host and w in closure:
                u_ref = max(p.cpu_idle + p.cpu_per_load, ref_host[host]) / 100.0
                extra += reach_ms[w] * p.latency_ms * ((1.0 - u_ref) / 0.1 - 1.0)
        felt[host] = extra / entry_ms
    loud = [h for h, v in felt.items() if v >= 0.3]
    return rng.choice(loud) if loud else max(felt, key=lambda h: felt[h])


def _bad_deploy(world: World, tl: Timeline, rng: random.Random, ramp: int) -> Injection:
    topo, t0 = world.topology, tl.onset
    services = dependencies(topo, databases=False)
    root = rng.choice(services)
    onset_ts = tl.stamps[t0]
    symptom = rng.choice([Symptom.SLOW, Symptom.FAILING])
    # A broken release: slower and failing, one of the two clearly, the other a little.
    rise = rng.uniform(*LOUD.latency) if symptom == Symptom.SLOW else rng.uniform(0.05, 0.3)
    errors = rng.uniform(*LOUD.errors) if symptom == Symptom.FAILING else rng.uniform(0.005, 0.02)
    slower = _own_delta_ms(world, root, rise) / world.profiles[root].latency_ms
    shifts = [
        Shift(root, Channel.LATENCY, t0, min(40.0, max(0.3, slower)), ramp),
        Shift(root, Channel.ERRORS, t0, _errors_for(world, root, errors), ramp),
    ]
    events = [deploy_event(root, onset_ts, rng)]
    decoys = []
    # Releases of healthy services around it (the entry's included), before and after.
    healthy = [s for s in [topo.entry, *services] if s != root]
    for ci in rng.sample(healthy, k=min(len(healthy), rng.randint(2, 4))):
        minutes = rng.uniform(-180.0, (tl.at - onset_ts).total_seconds() / 60.0)
        if abs(minutes) < 3.0:
            minutes = -3.0 - rng.uniform(0.0, 30.0)  # clearly apart from the bad release
        events.append(deploy_event(ci, onset_ts + timedelta(minutes=minutes), rng))
        decoys.append(f"deploy:{ci}")
    primary = (root, Metric.LATENCY if symptom == Symptom.SLOW else Metric.ERRORS)
    return Injection(root, symptom, shifts, primary, world, events, decoys)


def _weak(world: World, tl: Timeline, rng: random.Random, ramp: int) -> Injection:
    """The root sits on a rare code path: calls into it carry little weight, so the
    asked CI's symptom is faint while the root's own series moves a lot."""
    topo, t0 = world.topology, tl.onset
    root = rng.choice(dependencies(topo))
    edges = dict(world.edges)
    for caller in topo.callers[root]:
        e = edges[(caller, root)]
        edges[(caller, root)] = dataclasses.replace(
            e, latency_weight=rng.uniform(0.04, 0.12), error_share=rng.uniform(0.005, 0.03)
        )
    rewired = dataclasses.replace(world, edges=edges)
    if rng.random() < 0.5:
        rise = rng.uniform(*FAINT.latency)
        slower = _own_delta_ms(rewired, root, rise) / world.profiles[root].latency_ms
        # Clamped: the root's own time grows x4..x21 whatever the path weights.
        shift = Shift(root, Channel.LATENCY, t0, min(20.0, max(3.0, slower)), ramp)
        return Injection(root, Symptom.SLOW, [shift], (root, Metric.LATENCY), rewired)
    scale = baseline_errors(rewired)[topo.entry] if FAINT.relative_errors else 1.0
    added = max(0.03, _errors_for(rewired, root, rng.uniform(*FAINT.errors) * scale))
    shift = Shift(root, Channel.ERRORS, t0, added, ramp)
    return Injection(root, Symptom.FAILING, [shift], (root, Metric.ERRORS), rewired)
