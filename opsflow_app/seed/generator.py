"""``generate_tenant``: one tenant's synthetic dataset, deterministic in its inputs.

Each stage draws from its own ``random.Random`` so that changing one stage does not
reshuffle the others. Topology, incident placement and per-CI levels do not depend on
``end``: re-seeding the demo later keeps the same CIs, ids and incident roots; only the
timestamps and the noise move.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from random import Random

import structlog

from opsflow_app.seed.catalog import catalog_for
from opsflow_app.seed.events import EventFactory, deploy, incident_events, routine_events
from opsflow_app.seed.incidents import Plan, apply_effects, choose_incidents, schedule
from opsflow_app.seed.metrics import Profile, baseline_series, draw_profile, finalize, rollups
from opsflow_app.seed.model import (
    TENANTS,
    Decoy,
    Incident,
    SeedSize,
    Series,
    TenantDataset,
    resolve_size,
)
from opsflow_app.seed.topology import Graph, build_graph, materialize, topology_edges

log = structlog.get_logger(__name__)

# Busy hour (UTC) per tenant: their users live in different time zones.
_BUSY_HOUR = {"t_acme": 19.0, "t_globex": 14.5, "t_initech": 10.0}
_SEASONAL_PEAK = 0.9
_PLACEMENT_ATTEMPTS = 20


def _rng(*parts: object) -> Random:
    # A str seed is hashed with SHA-512 by random.Random: stable across processes.
    return Random("|".join(str(p) for p in parts))


def _tod_hours(ts: datetime) -> float:
    return (ts.timestamp() % 86_400.0) / 3600.0


def place_incidents(tenant_id: str, seed: int, sz: SeedSize) -> tuple[Graph, list[Plan], Random]:
    """The topology and three independent incidents in it. A few random topologies leave no
    independent placement; the next topology draw (still a function of the seed) is used."""
    catalog = catalog_for(tenant_id)
    for attempt in range(_PLACEMENT_ATTEMPTS):
        graph = build_graph(catalog, sz, _rng(tenant_id, seed, sz, "topology", attempt))
        plan_rng = _rng(tenant_id, seed, sz, "incidents", attempt)
        try:
            return graph, choose_incidents(graph, catalog.frontends, plan_rng), plan_rng
        except RuntimeError:
            log.debug("seed_incident_placement_retry", tenant_id=tenant_id, attempt=attempt)
    raise RuntimeError(f"cannot place independent incidents for {tenant_id} (seed {seed})")


def generate_tenant(
    tenant_id: str, *, seed: int, size: str | SeedSize = "small", end: datetime
) -> TenantDataset:
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware (UTC)")
    end = end.astimezone(UTC)
    sz = resolve_size(size)
    base = (tenant_id, seed, sz)

    graph, plans, plan_rng = place_incidents(tenant_id, seed, sz)
    cis, relations = materialize(graph, tenant_id, seed, _rng(*base, "attributes"))
    ids = {ci.name: ci.id for ci in cis}

    affected = {name for p in plans for name in p.hops}
    busy = graph.downstream(affected)
    healthy = [s for s in graph.of_type("service") if s not in affected]
    near_questions = sorted(graph.downstream(p.question_ci for p in plans) & set(healthy))
    # The decoy deploy sits where a root-cause search will look: downstream of a question.
    decoy_deploy = plan_rng.choice(near_questions or healthy)
    quiet = [s for s in healthy if s not in busy and s != decoy_deploy]
    seasonal = plan_rng.choice(quiet or [s for s in healthy if s != decoy_deploy])

    stamps = [end - sz.history + i * sz.step for i in range(sz.points)]
    profile_rng = _rng(*base, "profiles")
    busy_hour = _BUSY_HOUR.get(tenant_id, 15.0)
    profiles: dict[str, Profile] = {}
    for name, ci_type in graph.types.items():
        profiles[name] = draw_profile(ci_type, busy_hour, profile_rng)
    peak = profiles[seasonal]
    profiles[seasonal] = Profile(
        peak.rps,
        peak.latency,
        peak.error_rate,
        peak.cpu,
        peak.memory,
        peak.amplitude,
        phase_h=_tod_hours(end - timedelta(minutes=20)),
        peak=_SEASONAL_PEAK,
    )

    noise_rng = _rng(*base, end.isoformat(), "noise")
    by_key: dict[tuple[str, str], Series] = {}
    for name, ci_type in graph.types.items():
        for s in baseline_series(ids[name], ci_type, profiles[name], stamps, noise_rng):
            by_key[(name, s.metric)] = s

    time_rng = _rng(*base, end.isoformat(), "timing")
    timed = schedule(plans, stamps, time_rng)
    for t in timed:
        apply_effects(t, graph, by_key, stamps, time_rng)
    series = list(by_key.values())
    for s in series:
        finalize(s)

    events = EventFactory(tenant_id, seed, ids, end)
    event_rng = _rng(*base, end.isoformat(), "events")
    routine_events(events, graph, stamps, busy, event_rng)
    for t in timed:
        incident_events(events, t, graph, event_rng)
    anchor = event_rng.choice(timed).start
    decoy_ts = anchor + timedelta(seconds=event_rng.choice([-1, 1]) * event_rng.randint(180, 480))
    decoy_ts = min(max(decoy_ts, end - timedelta(minutes=55)), end - timedelta(minutes=5))
    deploy(events, decoy_deploy, decoy_ts, event_rng)
    events.events.sort(key=lambda e: (e.ts, e.id))

    incidents = [
        Incident(
            id="inc-" + hashlib.sha1(f"{tenant_id}|{seed}|{t.plan.kind}".encode()).hexdigest()[:10],
            kind=t.plan.kind,
            root_ci=t.plan.root,
            affected=tuple(sorted(t.plan.hops)),
            start=t.start,
            end=end,
            question=f"why is {t.plan.question_ci} slow?",
        )
        for t in timed
    ]
    incidents.sort(key=lambda i: (i.start, i.id))  # the order read_incidents returns
    decoys = [
        Decoy("deploy", decoy_deploy, decoy_ts, "deploy on a healthy service, no effect"),
        Decoy(
            "seasonal_peak",
            seasonal,
            end - timedelta(minutes=20),
            "daily traffic peak: rps and latency rise every day at this hour",
        ),
    ]
    return TenantDataset(
        tenant_id=tenant_id,
        tenant_name=TENANTS.get(tenant_id, tenant_id),
        seed=seed,
        size=sz,
        end=end,
        cis=cis,
        relations=relations,
        timestamps=stamps,
        series=series,
        rollups=rollups(series, stamps),
        events=events.events,
        incidents=incidents,
        decoys=decoys,
        topology_edges=topology_edges(cis, relations),
    )
