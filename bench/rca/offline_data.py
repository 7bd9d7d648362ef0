"""The datasets of the offline developer loop, held in memory in the import format.

PetShop and Train-Ticket are read in place from ``../shared/data`` (never copied into the
repository); the hard generator and the seed generator's evaluation tenants are generated.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.rca.hard_generator import generate_suite
from bench.rca.hard_model import HardCase
from opsflow.models import EventRecord
from opsflow_app.importer import event_id_for

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@dataclass
class Telemetry:
    """One tenant's data in memory: the import format, indexed for window reads."""

    cis: dict[str, str] = field(default_factory=dict)  # name -> ci_type
    edges: list[tuple[str, str]] = field(default_factory=list)
    samples: dict[tuple[str, str], tuple[list[float], list[float]]] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[float, str, str, float]],
        edges: list[tuple[str, str]],
        cis: dict[str, str] | None = None,
        events: list[EventRecord] | None = None,
    ) -> Telemetry:
        acc: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
        for ts, ci, metric, value in rows:
            if math.isfinite(value):
                acc[(ci, metric)][ts] = value
        samples = {}
        for key, by_ts in acc.items():
            times = sorted(by_ts)
            samples[key] = (times, [by_ts[t] for t in times])
        names = dict(cis or {})
        for ci, _ in samples:
            names.setdefault(ci, "service")
        for a, b in edges:
            names.setdefault(a, "service")
            names.setdefault(b, "service")
        return cls(names, edges, samples, events or [])


def read_long_csv(path: Path) -> Iterable[tuple[float, str, str, float]]:
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            yield float(row["ts"]), row["ci"], row["metric"], float(row["value"])


@dataclass(frozen=True)
class OfflineCase:
    dataset: str
    kind: str
    key: str
    tel_key: str
    question: str
    at: datetime
    truth: str | None


def nezha_cases(root: Path) -> tuple[dict[str, Telemetry], list[OfflineCase]]:
    tels: dict[str, Telemetry] = {}
    cases = []
    for day in ("2023-01-29", "2023-01-30"):
        folder = root / day
        with (folder / "graph.csv").open() as fh:
            edges = [(r["source"], r["target"]) for r in csv.DictReader(fh)]
        with (folder / "cis.csv").open() as fh:
            cis = {r["name"]: r["ci_type"] for r in csv.DictReader(fh)}
        tels[day] = Telemetry.from_rows(read_long_csv(folder / "metrics.csv"), edges, cis)
    for i, c in enumerate(json.loads((root / "cases.json").read_text())):
        slow = c["type"] in ("cpu_contention", "network_delay")
        q = f"why is ts-ui-dashboard {'slow' if slow else 'failing'}?"
        at = datetime.fromtimestamp(c["at"], UTC)
        cases.append(OfflineCase("nezha", c["type"], f"nz{i}", c["day"], q, at, c["root_cause"]))
    return tels, cases


def petshop_cases(root: Path) -> tuple[dict[str, Telemetry], list[OfflineCase]]:
    from bench.rca.petshop import (
        DAY_S,
        MetricMapping,
        list_issues,
        long_rows,
        read_edges,
        read_wide,
        shift_days,
    )

    mapping = MetricMapping(latency_stats=("Average", "p95"))
    tels: dict[str, Telemetry] = {}
    cases = []
    for scenario in ("low_traffic", "high_traffic"):
        history = read_wide(root / scenario / "noissue" / "metrics.csv")
        edges = read_edges(root / scenario / "graph.csv")
        for issue in list_issues(root, [scenario]):
            window = read_wide(issue.path / "metrics.csv")
            offset = shift_days(history, window.start) * DAY_S
            rows = list(long_rows(history, mapping, offset_s=offset, before=window.start))
            rows = [r for r in rows if r[0] >= window.start - 8 * 3600]
            rows += list(long_rows(window, mapping))
            tels[issue.key] = Telemetry.from_rows(rows, edges)
            at = datetime.fromtimestamp(issue.timestamp, UTC)
            cases.append(
                OfflineCase(
                    "petshop",
                    issue.kind,
                    issue.key,
                    issue.key,
                    issue.question(),
                    at,
                    issue.root_cause,
                )
            )
    return tels, cases


def hard_telemetry(case: HardCase) -> Telemetry:
    """The case as the importer would store it: gaps dropped, events with their ids."""
    events = [
        EventRecord(
            id=event_id_for(ts, ci, kind, message),
            ci=ci,
            ts=ts,
            kind=kind,
            severity=severity,
            message=message,
        )
        for ts, ci, kind, severity, message in case.events
    ]
    rows = ((ts.timestamp(), ci, str(m), v) for ts, ci, m, v in case.samples)
    return Telemetry.from_rows(rows, list(case.edges), {n: str(t) for n, t in case.cis}, events)


def hard_cases(per_kind: int, seed: int = 1) -> tuple[dict[str, Telemetry], list[OfflineCase]]:
    tels: dict[str, Telemetry] = {}
    cases = []
    for case in generate_suite(per_kind, seed):
        tels[case.key] = hard_telemetry(case)
        cases.append(
            OfflineCase(
                "hard", case.kind.value, case.key, case.key, case.question, case.at, case.truth
            )
        )
    return tels, cases


def synthetic_cases(
    seeds: Iterable[int], size: str = "small"
) -> tuple[dict[str, Telemetry], list[OfflineCase]]:
    """The seed generator's evaluation tenants (every demo catalog x seed at ``size``), one
    case per injected incident, asked at the seed's end as ``bench/eval.py`` does."""
    from bench.rca.synthetic import cases_of, eval_dataset
    from opsflow_app.seed import TENANTS

    tels: dict[str, Telemetry] = {}
    cases = []
    for seed in seeds:
        for catalog in sorted(TENANTS):
            ds = eval_dataset(catalog, seed, size)
            name = {ci.id: ci.name for ci in ds.cis}
            edges = [(name[r.source_id], name[r.target_id]) for r in ds.relations]
            events = [
                EventRecord(
                    id=e.id,
                    ci=name.get(e.ci_id or ""),
                    ts=e.ts,
                    kind=e.kind,
                    severity=e.severity,
                    message=e.message,
                )
                for e in ds.events
            ]
            rows = ((ts.timestamp(), name[ci], m, v) for _, ci, m, ts, v in ds.iter_samples())
            types = {ci.name: ci.ci_type for ci in ds.cis}
            tels[ds.tenant_id] = Telemetry.from_rows(rows, edges, types, events)
            for c in cases_of(ds):
                cases.append(
                    OfflineCase("synthetic", c.group, c.key, c.tenant, c.question, c.at, c.truth)
                )
    return tels, cases
