"""Telemetry of a service graph from a small physical model, with faults as shifts on it.

Load enters at the services nobody calls (the entry, batch jobs) with a daily season and a
slow wander, and flows down the call edges (each edge: calls per request). CPU follows
load; a host's CPU is its own plus a share of its workloads'. A workload's own time grows
with utilisation like a queue (``(1 - u_ref) / (1 - u)``, u the busier of its own CPU
and its host's), so a saturated host or process slows what runs there. Latency and errors
propagate to callers: a caller's p95 adds a weighted share of each callee's p95 and of
any network delay on the call; a callee's errors fail a fraction of the caller's requests.
Noise is multiplicative log-normal on latency (wider when a step serves fewer requests)
with rare spikes; error rates are counted (failed / served in the step, so a low-traffic
series is mostly exact zeros) from a failure probability with a log-normal wander and rare
blips; CPU noise is Gaussian, memory a bounded random walk. A database's open
connections follow Little's law (arrival rate x time in system).

Faults and decoys are ``Shift``s: a change of one channel of one CI from a time index on,
reached over a short ramp. Nothing here knows which fault kind it renders.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bench.rca.hard_model import CiType, Metric, Sample
from bench.rca.hard_topology import Topology

DAY_S = 86_400.0


class Channel(StrEnum):
    CPU = "cpu"  # percent points added (workload or host)
    LATENCY = "latency"  # relative change of the workload's own time (+1.0 doubles it)
    ERRORS = "errors"  # fraction of requests failing, added
    DELAY_IN = "delay_in"  # ms added to every call INTO the CI: only its callers see it
    DELAY_OUT = "delay_out"  # ms added to every call the CI makes: its own time shows it
    MEMORY = "memory"  # percent points added


@dataclass(frozen=True)
class Shift:
    ci: str
    channel: Channel
    start: int  # time index of the onset
    value: float
    ramp: int = 1  # steps to reach the full value


@dataclass(frozen=True)
class Profile:
    latency_ms: float  # own time at the reference load
    latency_sigma: float
    spike_p: float
    error_base: float
    blip_p: float
    cpu_idle: float
    cpu_per_load: float
    cpu_sd: float
    memory: float
    # Fraction of this workload's CPU percent that shows on its host's: a pod's CPU is
    # measured against its own limit, the host has room for several such limits.
    host_share: float


@dataclass(frozen=True)
class EdgeProfile:
    calls: float  # calls to the callee per request of the caller
    latency_weight: float  # share of the callee's p95 on the caller's p95 path
    error_share: float  # fraction of the callee's failures the caller cannot absorb


@dataclass(frozen=True)
class World:
    topology: Topology
    profiles: dict[str, Profile]
    edges: dict[tuple[str, str], EdgeProfile]
    base_rps: dict[str, float]  # per service nobody calls
    amplitude: float
    phase_h: float
    host_idle: dict[str, float]


def draw_world(topology: Topology, rng: random.Random) -> World:
    profiles: dict[str, Profile] = {}
    for name, ci_type in topology.types.items():
        if ci_type == CiType.HOST:
            continue
        db = ci_type == CiType.DATABASE
        profiles[name] = Profile(
            latency_ms=rng.uniform(1.5, 12.0) if db else rng.uniform(8.0, 90.0),
            latency_sigma=rng.uniform(0.04, 0.12),
            spike_p=rng.uniform(0.002, 0.015),
            error_base=rng.uniform(0.0001, 0.001) if db else rng.uniform(0.0005, 0.005),
            blip_p=rng.uniform(0.002, 0.01),
            cpu_idle=rng.uniform(4.0, 12.0),
            cpu_per_load=rng.uniform(12.0, 30.0),
            cpu_sd=rng.uniform(0.8, 2.5),
            memory=rng.uniform(30.0, 70.0),
            host_share=rng.uniform(0.08, 0.25),
        )
    edges = {
        (src, dst): EdgeProfile(
            calls=rng.uniform(0.4, 2.5),
            latency_weight=rng.uniform(0.35, 0.9),
            error_share=rng.uniform(0.3, 0.9),
        )
        for src, targets in topology.calls.items()
        for dst in targets
    }
    # Log-uniform traffic: a benchmark app at a few requests a second up to a busy shop.
    base_rps = {
        name: math.exp(rng.uniform(math.log(2.0), math.log(400.0)))
        if name == topology.entry
        else rng.uniform(1.0, 20.0)
        for name in topology.host_of
        if not topology.callers[name] and topology.types[name] == CiType.SERVICE
    }
    hosts = topology.of_type(CiType.HOST)
    return World(
        topology=topology,
        profiles=profiles,
        edges=edges,
        base_rps=base_rps,
        amplitude=rng.uniform(0.1, 0.3),
        phase_h=rng.uniform(0.0, 24.0),
        host_idle={h: rng.uniform(15.0, 35.0) for h in hosts},
    )


class Channels:
    """Each (ci, channel)'s added value per time index, the shifts on it summed."""

    def __init__(self, shifts: list[Shift], n: int) -> None:
        self._zero = [0.0] * n
        self._values: dict[tuple[str, Channel], list[float]] = {}
        for s in shifts:
            values = self._values.setdefault((s.ci, s.channel), [0.0] * n)
            for i in range(max(0, s.start), n):
                values[i] += s.value * min(1.0, (i - s.start + 1) / max(1, s.ramp))

    def __call__(self, ci: str, channel: Channel) -> list[float]:
        return self._values.get((ci, channel), self._zero)


def _lognormal(rng: random.Random, sigma: float) -> float:
    return math.exp(rng.gauss(-sigma * sigma / 2, sigma))


def render(
    world: World,
    stamps: list[datetime],
    shifts: list[Shift],
    rng: random.Random,
    noisy: dict[str, float] | None = None,
) -> list[Sample]:
    """Every metric of every CI at every stamp. ``noisy``: CI -> noise multiplier."""
    topo, n = world.topology, len(stamps)
    step_s = (stamps[1] - stamps[0]).total_seconds() if n > 1 else 60.0
    ch = Channels(shifts, n)
    noisy = noisy or {}
    order = topo.callee_first()
    ref_rps = {w: _reference_rps(world, w) for w in order}
    ref_util = _reference_util(world)
    wander = 0.0
    memory = {w: 0.0 for w in world.profiles} | {h: 0.0 for h in world.host_idle}
    out: list[Sample] = []
    for i, ts in enumerate(stamps):
        tod_h = (ts.timestamp() % DAY_S) / 3600.0
        season = 1.0 + world.amplitude * math.cos(2 * math.pi * (tod_h - world.phase_h) / 24.0)
        wander = 0.97 * wander + rng.gauss(0.0, 0.01)
        rps: dict[str, float] = {}
        for name in reversed(order):  # callers first
            if name in world.base_rps:
                rps[name] = world.base_rps[name] * season * (1 + wander) * (1 + rng.gauss(0, 0.03))
            else:
                rps[name] = sum(
                    rps[c] * world.edges[(c, name)].calls for c in topo.callers[name] if c in rps
                )
        cpu: dict[str, float] = {}
        for name in order:
            p, ratio = world.profiles[name], rps[name] / ref_rps[name]
            sd = p.cpu_sd * noisy.get(name, 1.0)
            value = p.cpu_idle + p.cpu_per_load * ratio + ch(name, Channel.CPU)[i]
            cpu[name] = _clamp(value + rng.gauss(0, sd), 0.5, 100.0)
        for host, idle in world.host_idle.items():
            load = sum(
                world.profiles[w].host_share * cpu[w] for w in topo.host_of if _on(topo, w, host)
            )
            cpu[host] = _clamp(
                idle + load + ch(host, Channel.CPU)[i] + rng.gauss(0, 1.0), 0.5, 100.0
            )
        latency: dict[str, float] = {}
        errors: dict[str, float] = {}  # failure probability, what callers feel
        observed: dict[str, float] = {}  # failed / served in this step, what is reported
        for name in order:
            p, scale = world.profiles[name], noisy.get(name, 1.0)
            served = max(1, round(rps[name] * step_s))
            # A percentile over fewer requests is noisier: low traffic and fine steps.
            sampling = _clamp(math.sqrt(600.0 / served), 0.5, 4.0)
            util = max(cpu[name], cpu[topo.host_of[name]]) / 100.0
            queue = _clamp((1.0 - ref_util[name]) / (1.0 - min(util, 0.97)), 0.85, 12.0)
            own = p.latency_ms * queue * max(0.05, 1.0 + ch(name, Channel.LATENCY)[i])
            own *= _lognormal(rng, p.latency_sigma * sampling * scale)
            if rng.random() < p.spike_p * scale:
                own *= rng.uniform(1.5, 3.0)
            ok = 1.0 - _clamp(
                p.error_base * _lognormal(rng, 0.3 * scale)
                + (rng.uniform(0.003, 0.02) * scale if rng.random() < p.blip_p * scale else 0.0)
                + ch(name, Channel.ERRORS)[i],
                0.0,
                1.0,
            )
            for dst in topo.calls.get(name, ()):
                e = world.edges[(name, dst)]
                wire = ch(dst, Channel.DELAY_IN)[i] + ch(name, Channel.DELAY_OUT)[i]
                own += e.latency_weight * (latency[dst] + wire)
                ok *= 1.0 - e.error_share * errors[dst]
            latency[name], errors[name] = own, _clamp(1.0 - ok, 0.0, 1.0)
            # Counted, not smooth: at low traffic most steps see no failure at all.
            observed[name] = _failures(rng, served, errors[name]) / served
        for name in memory:
            memory[name] = _clamp(0.98 * memory[name] + rng.gauss(0.0, 0.3), -8.0, 8.0)
        out += _emit(world, ts, rps, cpu, latency, observed, errors, memory, ch, i, rng, step_s)
    return out


def _emit(
    world: World,
    ts: datetime,
    rps: dict[str, float],
    cpu: dict[str, float],
    latency: dict[str, float],
    observed: dict[str, float],
    errors: dict[str, float],
    memory: dict[str, float],
    ch: Channels,
    i: int,
    rng: random.Random,
    step_s: float,
) -> list[Sample]:
    topo = world.topology
    out: list[Sample] = []
    for name, ci_type in topo.types.items():
        mem_add = ch(name, Channel.MEMORY)[i]
        if ci_type == CiType.HOST:
            base = 35.0 + world.host_idle[name]
            out.append((ts, name, Metric.CPU, round(cpu[name], 2)))
            out.append(
                (ts, name, Metric.MEMORY, round(_clamp(base + memory[name] + mem_add, 1, 100), 2))
            )
            continue
        p = world.profiles[name]
        out.append((ts, name, Metric.LATENCY, round(latency[name], 3)))
        out.append((ts, name, Metric.ERRORS, round(observed[name], 6)))
        out.append((ts, name, Metric.RPS, round(rps[name], 2)))
        out.append((ts, name, Metric.CPU, round(cpu[name], 2)))
        out.append(
            (ts, name, Metric.MEMORY, round(_clamp(p.memory + memory[name] + mem_add, 1, 100), 2))
        )
        if ci_type == CiType.DATABASE:
            busy = rps[name] * latency[name] / 1000.0  # Little's law: requests in flight
            conns = 8.0 + 4.0 * busy + rng.gauss(0, 0.8)
            out.append((ts, name, Metric.CONNECTIONS, round(max(1.0, conns), 1)))
        if name == topo.entry:
            probes = max(20, int(step_s))  # a synthetic check about once a second
            failed = sum(rng.random() < errors[name] for _ in range(probes))
            out.append((ts, name, Metric.AVAILABILITY, round(100.0 * (1 - failed / probes), 3)))
    return out


def _failures(rng: random.Random, served: int, p: float) -> int:
    """Failed requests out of ``served``: Poisson for few expected, normal for many."""
    mean = served * p
    if mean < 30.0:
        # Knuth: multiply uniforms until below e^-mean.
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return min(count, served)
    return int(_clamp(round(rng.gauss(mean, math.sqrt(mean * (1.0 - p)))), 0, served))


def _on(topo: Topology, workload: str, host: str) -> bool:
    return topo.host_of.get(workload) == host


def _reference_rps(world: World, name: str) -> float:
    """A workload's rps at season 1 and no wander: the load its CPU profile is set for."""
    topo = world.topology
    if name in world.base_rps:
        return world.base_rps[name]
    return max(
        1e-6,
        sum(_reference_rps(world, c) * world.edges[(c, name)].calls for c in topo.callers[name]),
    )


def reference_host_cpu(world: World) -> dict[str, float]:
    """Each host's CPU percent at the reference load of its workloads."""
    topo = world.topology
    own = {w: p.cpu_idle + p.cpu_per_load for w, p in world.profiles.items()}
    return {
        h: idle
        + sum(world.profiles[w].host_share * own[w] for w in topo.host_of if _on(topo, w, h))
        for h, idle in world.host_idle.items()
    }


def _reference_util(world: World) -> dict[str, float]:
    """Utilisation at the reference load, own and host: where queueing adds nothing."""
    topo = world.topology
    host = reference_host_cpu(world)
    return {
        w: max(p.cpu_idle + p.cpu_per_load, host[topo.host_of[w]]) / 100.0
        for w, p in world.profiles.items()
    }


def time_grid(start: datetime, step_s: int, count: int) -> list[datetime]:
    return [start + timedelta(seconds=step_s * i) for i in range(count)]


def _clamp(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value
