"""CIs and the dependency graph of one tenant, from its catalog, the size and the seed."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opsflow_app.seed.catalog import EXTRA_SUFFIXES, TenantCatalog
from opsflow_app.seed.model import Ci, Relation, SeedSize


def ci_id(tenant_id: str, seed: int, name: str) -> str:
    digest = hashlib.sha1(f"{tenant_id}|{seed}|{name}".encode()).hexdigest()
    return f"ci-{digest[:12]}"


@dataclass
class Graph:
    """Names only; ``deps`` is depends_on (caller -> callees), ``host_of`` is runs_on."""

    types: dict[str, str]
    deps: dict[str, list[str]]
    host_of: dict[str, str]
    callers: dict[str, list[str]] = field(default_factory=dict)
    hosted: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.callers = {name: [] for name in self.types}
        for src, targets in self.deps.items():
            for dst in targets:
                self.callers[dst].append(src)
        self.hosted = {name: [] for name, t in self.types.items() if t == "host"}
        for workload, host in self.host_of.items():
            self.hosted[host].append(workload)

    def of_type(self, ci_type: str) -> list[str]:
        return [name for name, t in self.types.items() if t == ci_type]

    def downstream(self, names: Iterable[str]) -> set[str]:
        """Everything the given CIs depend on, transitively, hosts included."""
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self.deps.get(name, ()))
            if name in self.host_of:
                stack.append(self.host_of[name])
        return seen

    def upstream(self, name: str, depth: int) -> dict[str, int]:
        """Callers of ``name`` up to ``depth`` hops, with their hop count."""
        hops = {name: 0}
        frontier = [name]
        for level in range(1, depth + 1):
            nxt = []
            for node in frontier:
                for caller in self.callers[node]:
                    if caller not in hops:
                        hops[caller] = level
                        nxt.append(caller)
            frontier = nxt
        return hops


_ENGINES = (
    ("cache", "redis"),
    ("index", "elasticsearch"),
    ("ldap", "openldap"),
    ("store", "minio"),
)


def _attributes(name: str, ci_type: str, rng: random.Random) -> dict[str, Any]:
    if ci_type == "host":
        return {
            "os": rng.choice(["ubuntu-22.04", "ubuntu-24.04", "rhel-9"]),
            "vcpus": rng.choice([4, 8, 16]),
            "memory_gb": rng.choice([16, 32, 64]),
            "zone": rng.choice(["zone-a", "zone-b", "zone-c"]),
        }
    if ci_type == "database":
        engine = next((e for key, e in _ENGINES if key in name), rng.choice(["postgres", "mysql"]))
        return {"engine": engine, "replicas": rng.randint(1, 3)}
    if ci_type == "queue":
        return {"engine": rng.choice(["kafka", "rabbitmq"]), "partitions": rng.choice([6, 12])}
    if ci_type == "load_balancer":
        return {"scheme": "internet-facing", "listeners": [443]}
    return {
        "language": rng.choice(["go", "java", "python", "node"]),
        "version": f"v{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "replicas": rng.randint(2, 8),
    }


def build_graph(catalog: TenantCatalog, size: SeedSize, rng: random.Random) -> Graph:
    types: dict[str, str] = {}
    deps: dict[str, list[str]] = {}
    for lb, targets in catalog.load_balancers.items():
        types[lb] = "load_balancer"
        deps[lb] = list(targets)
    for svc, targets in catalog.services.items():
        types[svc] = "service"
        deps[svc] = list(targets)
    for db in catalog.databases:
        types[db] = "database"
    for queue in catalog.queues:
        types[queue] = "queue"

    # Bigger sizes: leaf services over the tenant's data stores, called by a core service.
    stores = [*catalog.databases, *catalog.queues]
    inner = [s for s in catalog.services if s not in catalog.frontends]
    names = [f"{w}-{sfx}" for sfx in EXTRA_SUFFIXES for w in catalog.extra_words]
    if size.extra_services > len(names):
        raise ValueError(f"size {size.name!r} wants more extra services than the catalog names")
    for name in names[: size.extra_services]:
        types[name] = "service"
        deps[name] = rng.sample(stores, k=rng.randint(1, 2))
        deps[rng.choice(inner)].append(name)

    count = catalog.core_hosts + size.extra_hosts
    hosts = [catalog.host_format.format(n=n) for n in range(1, count + 1)]
    for host in hosts:
        types[host] = "host"
    host_of = _place(catalog, [n for n, t in types.items() if t == "service"], hosts, rng)
    return Graph(types=types, deps=deps, host_of=host_of)


def _place(
    catalog: TenantCatalog, services: list[str], hosts: list[str], rng: random.Random
) -> dict[str, str]:
    """Databases get a host each, queues share a broker host, frontends an edge host, and
    the other services pack the rest: shared hosts make a noisy neighbour possible."""
    need = len(catalog.databases) + 3
    if len(hosts) < need:
        raise ValueError(f"catalog needs at least {need} hosts, has {len(hosts)}")
    host_of: dict[str, str] = {}
    for db, host in zip(catalog.databases, hosts, strict=False):
        host_of[db] = host
    broker, edge = hosts[len(catalog.databases)], hosts[len(catalog.databases) + 1]
    for queue in catalog.queues:
        host_of[queue] = broker
    pool = hosts[len(catalog.databases) + 2 :]
    inner = [s for s in services if s not in catalog.frontends]
    rng.shuffle(inner)
    for i, svc in enumerate(inner):
        host_of[svc] = pool[i % len(pool)]
    for svc in catalog.frontends:
        host_of[svc] = edge
    return host_of


def materialize(
    graph: Graph, tenant_id: str, seed: int, rng: random.Random
) -> tuple[list[Ci], list[Relation]]:
    ids = {name: ci_id(tenant_id, seed, name) for name in graph.types}
    cis = [
        Ci(id=ids[name], name=name, ci_type=t, attributes=_attributes(name, t, rng))
        for name, t in graph.types.items()
    ]
    relations = [
        Relation(ids[src], ids[dst], "depends_on")
        for src, targets in graph.deps.items()
        for dst in targets
    ]
    relations += [Relation(ids[w], ids[h], "runs_on") for w, h in graph.host_of.items()]
    return cis, relations


def topology_edges(cis: list[Ci], relations: list[Relation]) -> list[dict[str, str]]:
    """The snapshot format shared with the importer's SQL refresh (same keys, same order)."""
    by_id = {ci.id: ci for ci in cis}
    edges = [
        {
            "source": by_id[r.source_id].name,
            "target": by_id[r.target_id].name,
            "relation": r.relation,
            "source_id": r.source_id,
            "target_id": r.target_id,
            "source_type": by_id[r.source_id].ci_type,
            "target_type": by_id[r.target_id].ci_type,
        }
        for r in relations
    ]
    edges.sort(key=lambda e: (e["source"], e["target"], e["relation"]))
    return edges
