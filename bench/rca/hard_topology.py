"""A random service graph: an entry service, one or two mid tiers, databases, hosts.

Depth stays within what a question walks (entry -> tier 1 -> tier 2 -> database -> host is
four hops). One or two services outside the entry's closure (a batch job and its store)
make the tenant look like a real one without being on the asked path.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.rca.hard_model import CiType

_ENTRIES = ("storefront", "web-gateway", "portal", "shop-web", "edge-api", "mobile-bff")
_SERVICES = (
    "orders",
    "cart",
    "payment",
    "catalog",
    "auth",
    "search",
    "shipping",
    "inventory",
    "pricing",
    "reviews",
    "profile",
    "notify",
    "recommend",
    "ledger",
    "quotes",
    "coupons",
    "media",
    "session",
)
_DATABASES = ("orders-db", "users-db", "catalog-db", "redis-cache", "ledger-db", "search-index")
_UNRELATED = ("batch-report", "etl-loader", "audit-export")


@dataclass
class Topology:
    types: dict[str, CiType]
    calls: dict[str, list[str]]  # caller -> callees (depends_on)
    host_of: dict[str, str]  # service or database -> host (runs_on)
    entry: str
    callers: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.callers = {name: [] for name in self.types}
        for src, targets in self.calls.items():
            for dst in targets:
                self.callers[dst].append(src)

    def of_type(self, ci_type: CiType) -> list[str]:
        return [n for n, t in self.types.items() if t == ci_type]

    def closure(self) -> set[str]:
        """The entry and everything it depends on, hosts included."""
        seen: set[str] = set()
        stack = [self.entry]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self.calls.get(name, ()))
            if name in self.host_of:
                stack.append(self.host_of[name])
        return seen

    def callee_first(self) -> list[str]:
        """Workloads (services and databases) with every callee before its callers."""
        order: list[str] = []
        done: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            done.add(name)
            for dst in self.calls.get(name, ()):
                visit(dst)
            order.append(name)

        for name in sorted(self.host_of):
            visit(name)
        return order

    def edges(self) -> list[tuple[str, str]]:
        out = [(src, dst) for src, targets in self.calls.items() for dst in targets]
        out += sorted(self.host_of.items())
        return sorted(out)


def build_topology(rng: random.Random) -> Topology:
    entry = rng.choice(_ENTRIES)
    pool = rng.sample(_SERVICES, k=rng.randint(4, 8))
    tier1 = pool[: rng.randint(2, min(4, len(pool) - 1))]
    tier2 = pool[len(tier1) :]
    dbs = rng.sample(_DATABASES, k=rng.randint(1, 3))
    types: dict[str, CiType] = {entry: CiType.SERVICE}
    types.update({s: CiType.SERVICE for s in pool})
    types.update({d: CiType.DATABASE for d in dbs})
    calls: dict[str, list[str]] = {entry: list(tier1)}
    for svc in tier1:
        # A tier-1 service calls one or two tier-2 services, or a database directly.
        options = tier2 + dbs
        calls[svc] = rng.sample(options, k=min(len(options), rng.randint(1, 2)))
    for svc in tier2:
        calls[svc] = rng.sample(dbs, k=min(len(dbs), rng.randint(1, 2)))
    for svc in tier2:
        # Every tier-2 service has a caller, or it would sit outside the closure.
        if not any(svc in calls[s] for s in tier1):
            calls[rng.choice(tier1)].append(svc)
    for db in dbs:
        if not any(db in targets for targets in calls.values()):
            calls[rng.choice(tier2 or tier1)].append(db)
    unrelated = rng.sample(_UNRELATED, k=rng.randint(1, 2))
    for svc in unrelated:
        types[svc] = CiType.SERVICE
        calls[svc] = [rng.choice(dbs)]
    hosts = [f"node-{i:02d}" for i in range(1, rng.randint(3, 5) + 1)]
    types.update({h: CiType.HOST for h in hosts})
    workloads = [n for n, t in types.items() if t != CiType.HOST]
    # Shared hosts, as in any cluster: a host problem touches several services at once.
    host_of = {
        w: hosts[i % len(hosts)] for i, w in enumerate(rng.sample(workloads, len(workloads)))
    }
    return Topology(types=types, calls=calls, host_of=host_of, entry=entry)
