"""The seed generator, pure: determinism, topology, incidents, seasonality, rollups."""

from __future__ import annotations

import math
import random
import re
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from opsflow_app.seed import (
    SIZES,
    TENANTS,
    Ci,
    Relation,
    SeedSize,
    TenantDataset,
    generate_tenant,
)
from opsflow_app.seed.generator import place_incidents
from opsflow_app.seed.incidents import KINDS
from opsflow_app.seed.metrics import bucket_of
from opsflow_app.seed.topology import materialize

END = datetime(2025, 3, 4, 15, 7, tzinfo=UTC)
_CACHE: dict[tuple[str, int, str], TenantDataset] = {}


def dataset(tenant: str, seed: int = 7, size: str = "small") -> TenantDataset:
    key = (tenant, seed, size)
    if key not in _CACHE:
        _CACHE[key] = generate_tenant(tenant, seed=seed, size=size, end=END)
    return _CACHE[key]


def window_mean(ds: TenantDataset, ci: str, metric: str, lo: datetime, hi: datetime) -> float:
    values = ds.series_for(ci, metric)
    picked = [v for ts, v in zip(ds.timestamps, values, strict=True) if lo <= ts < hi]
    assert picked, (ci, metric, lo, hi)
    return statistics.fmean(picked)


def names_by_id(ds: TenantDataset) -> dict[str, str]:
    return {ci.id: ci.name for ci in ds.cis}


def downstream(ds: TenantDataset, name: str) -> set[str]:
    by_id = names_by_id(ds)
    out: dict[str, list[str]] = {}
    for r in ds.relations:
        out.setdefault(by_id[r.source_id], []).append(by_id[r.target_id])
    seen: set[str] = set()
    stack = [name]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(out.get(node, []))
    return seen


def test_deterministic_under_inputs() -> None:
    a = generate_tenant("t_acme", seed=11, size="small", end=END)
    b = generate_tenant("t_acme", seed=11, size="small", end=END)
    assert a.cis == b.cis
    assert a.relations == b.relations
    assert a.events == b.events
    assert a.incidents == b.incidents
    assert a.rollups == b.rollups
    assert [list(s.values) for s in a.series] == [list(s.values) for s in b.series]


def test_other_seed_changes_data_but_end_keeps_topology() -> None:
    a = dataset("t_acme", seed=7)
    other_seed = dataset("t_acme", seed=8)
    assert {c.id for c in a.cis}.isdisjoint({c.id for c in other_seed.cis})
    assert list(a.series[0].values) != list(other_seed.series[0].values)
    later = generate_tenant("t_acme", seed=7, size="small", end=END + timedelta(hours=1))
    assert later.cis == a.cis and later.relations == a.relations
    assert sorted((i.kind, i.root_ci, i.question) for i in later.incidents) == sorted(
        (i.kind, i.root_ci, i.question) for i in a.incidents
    )


@pytest.mark.parametrize("tenant", list(TENANTS))
def test_cis_types_and_ids(tenant: str) -> None:
    ds = dataset(tenant)
    assert len(ds.cis) >= 40
    assert {c.ci_type for c in ds.cis} == {
        "service",
        "host",
        "database",
        "load_balancer",
        "queue",
    }
    assert len({c.name for c in ds.cis}) == len(ds.cis)
    assert all(re.fullmatch(r"ci-[0-9a-f]{12}", c.id) for c in ds.cis)
    ids = {c.id for c in ds.cis}
    assert all(r.source_id in ids and r.target_id in ids for r in ds.relations)
    assert {r.relation for r in ds.relations} == {"depends_on", "runs_on"}


def topology(tenant: str, size: str) -> tuple[list[Ci], list[Relation]]:
    """CIs and relations without the telemetry (cheap for the big sizes)."""
    graph, _, _ = place_incidents(tenant, 7, SIZES[size])
    return materialize(graph, tenant, 7, random.Random(0))


@pytest.mark.parametrize("size", list(SIZES))
def test_names_differ_across_tenants(size: str) -> None:
    names = {t: {c.name for c in topology(t, size)[0]} for t in TENANTS}
    tenants = list(TENANTS)
    for i, a in enumerate(tenants):
        for b in tenants[i + 1 :]:
            assert names[a].isdisjoint(names[b]), (a, b, names[a] & names[b])


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("tenant", list(TENANTS))
def test_graph_is_a_dag_with_the_expected_layers(tenant: str, size: str) -> None:
    cis, relations = topology(tenant, size)
    assert len(cis) >= {"small": 40, "medium": 70, "large": 140}[size]
    by_id = {c.id: c for c in cis}
    indegree = {c.id: 0 for c in cis}
    out: dict[str, list[str]] = {c.id: [] for c in cis}
    for r in relations:
        out[r.source_id].append(r.target_id)
        indegree[r.target_id] += 1
        src, dst = by_id[r.source_id].ci_type, by_id[r.target_id].ci_type
        if r.relation == "runs_on":
            assert dst == "host" and src in ("service", "database", "queue")
        else:
            assert src in ("load_balancer", "service") and dst != "host"
    ready = [n for n, d in indegree.items() if d == 0]
    visited = 0
    while ready:
        node = ready.pop()
        visited += 1
        for nxt in out[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    assert visited == len(cis), "dependency graph has a cycle"


@pytest.mark.parametrize("tenant", list(TENANTS))
def test_incidents_ground_truth(tenant: str) -> None:
    ds = dataset(tenant)
    names = {c.name for c in ds.cis}
    assert len(ds.incidents) >= 3
    assert {i.kind for i in ds.incidents} == set(KINDS)
    for inc in ds.incidents:
        assert inc.root_ci in names
        assert set(inc.affected) <= names and inc.root_ci in inc.affected
        for ci in inc.affected:
            assert inc.root_ci in downstream(ds, ci), (inc.kind, ci, inc.root_ci)
        asked = re.fullmatch(r"why is (\S+) slow\?", inc.question)
        assert asked is not None
        assert asked.group(1) in inc.affected and asked.group(1) != inc.root_ci
        assert END - timedelta(minutes=90) <= inc.start <= END - timedelta(minutes=15)
        assert inc.end == END
    for i, a in enumerate(ds.incidents):
        for b in ds.incidents[i + 1 :]:
            reach_a = set().union(*(downstream(ds, ci) for ci in a.affected))
            assert reach_a.isdisjoint(b.affected), (a.kind, b.kind)


@pytest.mark.parametrize("tenant", list(TENANTS))
def test_incident_effects_are_visible(tenant: str) -> None:
    ds = dataset(tenant)
    for inc in ds.incidents:
        before = (inc.start - timedelta(minutes=40), inc.start)
        after = (inc.start + timedelta(minutes=8), END + timedelta(seconds=1))
        root_metric = "cpu" if inc.kind == "noisy_neighbour" else "latency_p95"
        ratio = window_mean(ds, inc.root_ci, root_metric, *after) / window_mean(
            ds, inc.root_ci, root_metric, *before
        )
        assert ratio > 1.8, (inc.kind, inc.root_ci, ratio)
        if inc.kind != "bad_deploy":
            assert window_mean(ds, inc.root_ci, "cpu", *after) > 90
        asked = inc.question.split()[2]
        slower = window_mean(ds, asked, "latency_p95", *after) / window_mean(
            ds, asked, "latency_p95", *before
        )
        assert slower > 1.3, (inc.kind, asked, slower)


@pytest.mark.parametrize("tenant", list(TENANTS))
def test_events_of_incidents_and_decoy(tenant: str) -> None:
    ds = dataset(tenant)
    by_id = names_by_id(ds)
    assert all(ds.start <= e.ts <= END for e in ds.events)
    assert len({e.id for e in ds.events}) == len(ds.events)
    deploy_of = {(by_id[e.ci_id], e.ts) for e in ds.events if e.kind == "deploy" and e.ci_id}
    bad = next(i for i in ds.incidents if i.kind == "bad_deploy")
    assert (bad.root_ci, bad.start) in deploy_of
    window = END - timedelta(minutes=60)
    late_changes = {
        by_id[e.ci_id]
        for e in ds.events
        if e.kind in ("deploy", "config_change") and e.ts >= window and e.ci_id
    }
    decoy = next(d for d in ds.decoys if d.kind == "deploy")
    assert late_changes == {bad.root_ci, decoy.ci}
    assert all(decoy.ci not in i.affected for i in ds.incidents)
    lo, hi = decoy.ts - timedelta(minutes=30), decoy.ts
    ratio = window_mean(ds, decoy.ci, "latency_p95", decoy.ts + timedelta(minutes=4), END) / (
        window_mean(ds, decoy.ci, "latency_p95", lo, hi)
    )
    assert 0.7 < ratio < 1.3


def test_seasonality_follows_time_of_day() -> None:
    two_days = SeedSize("test-2d", timedelta(hours=48), timedelta(minutes=10), 0, 0)
    ds = generate_tenant("t_globex", seed=3, size=two_days, end=END)
    decoy = next(d.ci for d in ds.decoys if d.kind == "seasonal_peak")
    busy = 14.5  # globex busy hour, UTC
    service = next(c.name for c in ds.cis if c.ci_type == "service" and c.name != decoy)
    values = ds.series_for(service, "rps")
    peak, trough = [], []
    for ts, v in zip(ds.timestamps, values, strict=True):
        hour = ts.hour + ts.minute / 60
        distance = min(abs(hour - busy), 24 - abs(hour - busy))
        if distance <= 2:
            peak.append(v)
        elif distance >= 10:
            trough.append(v)
    assert statistics.fmean(peak) / statistics.fmean(trough) > 1.25


def test_seasonal_peak_decoy_rises_towards_end() -> None:
    ds = dataset("t_initech")
    decoy = next(d.ci for d in ds.decoys if d.kind == "seasonal_peak")
    assert all(decoy not in i.affected for i in ds.incidents)
    last = window_mean(ds, decoy, "rps", END - timedelta(minutes=40), END)
    earlier = window_mean(ds, decoy, "rps", END - timedelta(hours=5), END - timedelta(hours=3))
    assert last / earlier > 1.4


@pytest.mark.parametrize("tenant", list(TENANTS))
def test_samples_span_and_ranges(tenant: str) -> None:
    ds = dataset(tenant)
    size = SIZES["small"]
    assert ds.timestamps[-1] == END and ds.timestamps[0] == END - size.history
    assert ds.sample_count == sum(1 for _ in ds.iter_samples())
    for s in ds.series:
        assert all(math.isfinite(v) for v in s.values)
        if s.metric == "error_rate":
            assert all(0 <= v <= 1 for v in s.values)
        elif s.metric in ("cpu", "memory"):
            assert all(0 < v <= 100 for v in s.values)
        else:
            assert all(v >= 0 for v in s.values)


def test_rollups_match_samples() -> None:
    ds = dataset("t_acme")
    expected: dict[tuple[str, str, datetime], list[float]] = {}
    for _, ci, metric, ts, value in ds.iter_samples():
        expected.setdefault((ci, metric, bucket_of(ts)), []).append(value)
    assert len(ds.rollups) == len(expected)
    for r in ds.rollups:
        vals = expected[(r.ci_id, r.metric, r.bucket)]
        assert r.count == len(vals)
        assert r.min == min(vals) and r.max == max(vals)
        assert r.avg == pytest.approx(statistics.fmean(vals))
        assert r.bucket.minute % 5 == 0 and r.bucket.second == 0


def test_topology_snapshot_matches_relations() -> None:
    ds = dataset("t_globex")
    by_id = names_by_id(ds)
    assert sorted((e["source"], e["target"], e["relation"]) for e in ds.topology_edges) == sorted(
        (by_id[r.source_id], by_id[r.target_id], r.relation) for r in ds.relations
    )


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("tenant", list(TENANTS))
def test_incidents_can_be_placed_for_many_seeds(tenant: str, size: str) -> None:
    for seed in range(60):
        _, plans, _ = place_incidents(tenant, seed, SIZES[size])
        assert [p.kind for p in plans] == list(KINDS)


def test_rejects_naive_end_and_unknown_inputs() -> None:
    with pytest.raises(ValueError, match="timezone"):
        generate_tenant("t_acme", seed=1, end=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="seed size"):
        generate_tenant("t_acme", seed=1, size="huge", end=END)
    with pytest.raises(ValueError, match="no seed catalog"):
        generate_tenant("t_nobody", seed=1, end=END)
