"""Events: what each incident leaves in the event stream, routine noise, and the decoy deploy.

Routine deploys and config changes land only before the last 90 minutes, so inside the
question window the only changes are the incidents' own and the one decoy deploy. Info
alerts keep coming in the last 90 minutes, but never on a CI an incident touches.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from opsflow_app.seed.incidents import Timed
from opsflow_app.seed.model import Event
from opsflow_app.seed.topology import Graph

QUIET_BEFORE_END = timedelta(minutes=90)


class EventFactory:
    def __init__(self, tenant_id: str, seed: int, ids: dict[str, str], end: datetime) -> None:
        self._tenant, self._seed, self._ids, self._end = tenant_id, seed, ids, end
        self.events: list[Event] = []

    def add(
        self,
        ci: str | None,
        ts: datetime,
        kind: str,
        severity: str,
        message: str,
        payload: dict[str, Any] | None = None,
    ) -> None:
        if ts > self._end:
            return
        key = f"{self._tenant}|{self._seed}|{ci}|{ts.isoformat()}|{kind}|{message}"
        ev_id = "ev-" + hashlib.sha1(key.encode()).hexdigest()[:16]
        ci_id = self._ids[ci] if ci is not None else None
        self.events.append(Event(ev_id, ci_id, ts, kind, severity, message, payload or {}))


def _version(rng: random.Random) -> tuple[str, str]:
    major, minor, patch = rng.randint(1, 4), rng.randint(1, 30), rng.randint(1, 9)
    return f"v{major}.{minor}.{patch}", f"v{major}.{minor}.{patch - 1}"


def _commit(rng: random.Random) -> str:
    return f"{rng.getrandbits(28):07x}"


def deploy(f: EventFactory, ci: str, ts: datetime, rng: random.Random) -> None:
    new, old = _version(rng)
    f.add(
        ci,
        ts,
        "deploy",
        "info",
        f"Deployed {ci} {new} (was {old})",
        {
            "version": new,
            "previous_version": old,
            "commit": _commit(rng),
            "deployer": rng.choice(["ci-bot", "spinnaker", "argo-rollouts"]),
            "strategy": "rolling",
        },
    )


def incident_events(f: EventFactory, timed: Timed, graph: Graph, rng: random.Random) -> None:
    plan, t0 = timed.plan, timed.start

    def at(lo: float, hi: float) -> datetime:
        return t0 + timedelta(seconds=round(rng.uniform(lo, hi) * 60))

    q, root = plan.question_ci, plan.root
    if plan.kind == "bad_deploy":
        deploy(f, root, t0, rng)
        f.add(
            root,
            at(4, 6),
            "alert",
            "critical",
            f"{root} latency_p95 above SLO",
            {"metric": "latency_p95", "condition": "p95 > SLO for 3m"},
        )
        f.add(
            root,
            at(5, 7),
            "alert",
            "warning",
            f"{root} error rate above 2%",
            {"metric": "error_rate", "threshold": 0.02},
        )
    elif plan.kind == "db_saturation":
        f.add(
            root,
            at(3, 4),
            "alert",
            "info",
            f"{root} slow query log: long-running queries",
            {"metric": "slow_queries", "window": "5m"},
        )
        f.add(
            root,
            at(4, 6),
            "alert",
            "critical",
            f"{root} CPU above 90%",
            {"metric": "cpu", "threshold": 90},
        )
        f.add(
            root,
            at(5, 8),
            "alert",
            "warning",
            f"{root} query latency_p95 high",
            {"metric": "latency_p95"},
        )
    else:
        f.add(
            root,
            at(3, 5),
            "alert",
            "warning",
            f"{root} CPU above 90%",
            {"metric": "cpu", "threshold": 90},
        )
        proc = rng.choice(["backup-agent", "log-shipper", "av-scanner", "reindex-job"])
        f.add(
            root,
            at(4, 6),
            "alert",
            "info",
            f"{root} process {proc} using most CPU cores",
            {"process": proc, "metric": "cpu"},
        )
    f.add(q, at(7, 10), "alert", "warning", f"{q} latency_p95 elevated", {"metric": "latency_p95"})
    f.add(
        q,
        at(10, 13),
        "incident",
        "critical",
        f"Incident opened: {q} responding slowly",
        {"status": "open", "reported_by": "on-call"},
    )


_CONFIG = (
    ("feature flag {flag} rollout 10% -> 25%", "flag"),
    ("connection pool size 20 -> 30", "pool"),
    ("log level debug -> info", "logging"),
    ("timeout 2s -> 3s for downstream calls", "timeout"),
)
_INFO_ALERTS = (
    ("{ci} disk usage at 7{d}%", "disk"),
    ("{ci} TLS certificate expires in 2{d} days", "certificate"),
    ("{ci} autoscaled replicas {d} -> {d1}", "autoscale"),
    ("{ci} GC pause 1{d}0 ms", "gc"),
)


def routine_events(
    f: EventFactory,
    graph: Graph,
    stamps: Sequence[datetime],
    busy: Collection[str],
    rng: random.Random,
) -> None:
    """``busy``: CIs an incident touches or whose downstream it walks (kept quiet late)."""
    start, end = stamps[0], stamps[-1]
    hours = (end - start).total_seconds() / 3600.0
    quiet = end - QUIET_BEFORE_END
    services = graph.of_type("service")
    everything = list(graph.types)

    def when(lo: datetime, hi: datetime) -> datetime:
        span = max((hi - lo).total_seconds(), 0.0)
        return lo + timedelta(seconds=round(rng.uniform(0, span)))

    if quiet > start:
        for _ in range(round(1.5 * hours)):
            deploy(f, rng.choice(services), when(start, quiet), rng)
        for _ in range(round(1.0 * hours)):
            ci = rng.choice(services)
            text, key = rng.choice(_CONFIG)
            f.add(
                ci,
                when(start, quiet),
                "config_change",
                "info",
                f"{ci} " + text.format(flag=f"ff-{rng.randint(100, 999)}"),
                {"area": key},
            )
    quiet_cis = [c for c in everything if c not in busy]
    for _ in range(round(2.0 * hours)):
        ts = when(start, end)
        ci = rng.choice(everything if ts < quiet else quiet_cis)
        text, key = rng.choice(_INFO_ALERTS)
        d = rng.randint(1, 8)
        f.add(ci, ts, "alert", "info", text.format(ci=ci, d=d, d1=d + 1), {"check": key})
