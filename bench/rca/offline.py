"""``python -m bench.rca.offline``: the analysis on real data in seconds, for development.

The primary figures come from ``bench/eval.py``, end to end through the real workflow. This
developer loop skips Temporal and PostgreSQL: it holds a dataset in memory, builds the
``AnalysisInput`` the offline rule plan would hand to ``analyze`` (topology upstream of the
focus, the focus's and the upstream CIs' metrics over the planner's window, read and bucketed
as the metric tool reads them, the change events before the reference time) and runs the pure
analysis and the BARO baseline on exactly those series. Figures printed here are for
iteration only; the eval confirms them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.rca.answers import dump
from bench.rca.baselines import baro_ranking
from bench.rca.offline_data import (
    SHARED,
    OfflineCase,
    Telemetry,
    hard_cases,
    nezha_cases,
    petshop_cases,
    synthetic_cases,
)
from opsflow.analysis import analyze
from opsflow.analysis.config import DEFAULT_CONFIG, AnalysisConfig, Rule
from opsflow.models import AnalysisInput, CiRecord, EdgeRecord, MetricSeries
from opsflow.models.tool_io import ToolOutput
from opsflow.planner import CiInfo, rule_plan


def _metric_read(
    tel: Telemetry,
    names: list[str],
    ref: datetime,
    params: dict[str, Any],
    bucket_of: Callable[[float, int], int],
) -> list[MetricSeries]:
    """What ``metric_query`` returns for these CIs (window, history, after, bucketing)."""
    from activities.telemetry_tools import read_until

    window = int(params.get("window_minutes", 60))
    history = int(params.get("history_hours", 6))
    after = int(params.get("after_minutes", 0))
    start = ref - timedelta(minutes=window) - timedelta(hours=history)
    end = read_until(ref, after, datetime.now(UTC))
    lo, hi = start.timestamp(), end.timestamp()
    wanted = set(params.get("metrics") or [])
    present = [n for n in names if n in tel.cis]
    native = 60
    if present:
        stamps: set[float] = set()
        for (ci, _metric), (times, _values) in tel.samples.items():
            if ci == present[0]:
                a, b = bisect_right(times, lo), bisect_right(times, hi)
                stamps.update(times[a:b])
        last = sorted(stamps, reverse=True)[:32]
        gaps = sorted(int(x - y) for x, y in itertools.pairwise(last))
        native = gaps[len(gaps) // 2] if gaps else 60
    first = lo
    if present:
        from activities.telemetry_tools import LAG_SAMPLES

        hi = max(ref.timestamp(), min(hi, ref.timestamp() + LAG_SAMPLES * native))
        firsts = [
            times[bisect_right(times, lo)]
            for (ci, _m), (times, _v) in tel.samples.items()
            if ci == present[0] and bisect_right(times, lo) < len(times)
        ]
        if firsts and lo < min(firsts) < hi:
            first = min(firsts)
    bucket = bucket_of(hi - first, native)
    out = []
    for ci in sorted(present):
        for (name, metric), (times, values) in sorted(tel.samples.items()):
            if name != ci or (wanted and metric not in wanted):
                continue
            a, b = bisect_right(times, lo), bisect_right(times, hi)
            sums: dict[float, list[float]] = {}
            for t, v in zip(times[a:b], values[a:b], strict=True):
                sums.setdefault(math.floor(t / bucket) * bucket, []).append(v)
            if not sums:
                continue
            keys = sorted(sums)
            out.append(
                MetricSeries(
                    ci=ci,
                    metric=metric,
                    epoch_s=keys,
                    values=[sum(sums[k]) / len(sums[k]) for k in keys],
                    bucket_s=bucket,
                )
            )
    return out


def _upstream(tel: Telemetry, focus: str, depth: int) -> list[EdgeRecord]:
    deps: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a, b in tel.edges:
        deps[a].append((a, b))
    seen: dict[tuple[str, str], int] = {}
    frontier = [focus]
    for d in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for edge in deps.get(node, []):
                if edge not in seen:
                    seen[edge] = d
                    nxt.append(edge[1])
        frontier = nxt
    return [EdgeRecord(source=a, target=b, depth=d) for (a, b), d in sorted(seen.items())]


def build_input(
    tel: Telemetry,
    tenant: str,
    question: str,
    at: datetime,
    bucket_of: Callable[[float, int], int] | None = None,
) -> AnalysisInput:
    from activities.telemetry_tools import bucket_for

    bucket_of = bucket_of or (lambda span, native: bucket_for(span, native, 1))
    cis = [CiInfo(name=n, ci_type=t) for n, t in sorted(tel.cis.items())]
    plan = rule_plan(question, tenant, cis, at)
    outputs: dict[str, ToolOutput] = {}
    for step in plan.steps:
        p = step.params
        if step.capability == "graph_traversal":
            edges = _upstream(tel, str(p["ci"]), int(str(p.get("depth", 4))))
            names = sorted({str(p["ci"])} | {e.source for e in edges} | {e.target for e in edges})
            if not edges and p.get("all_if_unknown"):
                names = sorted(tel.cis)  # as the tool: an unknown topology reads every CI
            outputs[step.id] = ToolOutput(
                tool="topology_traverse",
                step_id=step.id,
                edges=edges,
                cis=[CiRecord(id=n, name=n, ci_type=tel.cis.get(n, "service")) for n in names],
            )
    for step in plan.steps:
        p = step.params
        names = [str(p["ci"])] if p.get("ci") else []
        if p.get("include_inputs"):
            for dep in step.depends_on:
                names += [c.name for c in outputs[dep].cis]
        names = sorted(set(names))
        if step.capability == "metric_timeseries":
            outputs[step.id] = ToolOutput(
                tool="metric_query",
                step_id=step.id,
                series=_metric_read(tel, names, at, dict(p), bucket_of),
            )
        elif step.capability == "event_search":
            window = int(str(p.get("window_minutes", 180)))
            lo = at - timedelta(minutes=window)
            kinds = set(p.get("kinds") or [])  # type: ignore[arg-type]
            evs = [
                e
                for e in tel.events
                if lo < e.ts <= at
                and (not names or e.ci in names)
                and (not kinds or e.kind in kinds)
            ]
            outputs[step.id] = ToolOutput(tool="event_query", step_id=step.id, events=evs)
    return AnalysisInput(
        tenant_id=tenant,
        question=question,
        focus_ci=plan.focus_ci,
        intent=plan.intent,
        reference_time=at,
        outputs=outputs,
    )


# ---------------------------------------------------------------- run
def inputs_of(tels: dict[str, Telemetry], cases: list[OfflineCase]) -> list[AnalysisInput]:
    return [build_input(tels[c.tel_key], "t_offline", c.question, c.at) for c in cases]


def run(
    cases: list[OfflineCase],
    inputs: list[AnalysisInput],
    config: AnalysisConfig = DEFAULT_CONFIG,
    verbose: bool = False,
) -> dict[str, Any]:
    per_kind: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))
    empty: dict[str, int] = defaultdict(int)
    for case, inp in zip(cases, inputs, strict=True):
        findings = analyze(inp, config)
        ours = [rc.ci for rc in findings.root_causes]
        theirs = baro_ranking(
            (s for out in inp.outputs.values() for s in out.series), inp.reference_time
        )
        for name, ranking in (("opsflow", ours), ("baro", theirs)):
            pos = ranking.index(case.truth) + 1 if case.truth in ranking else None
            per_kind[case.kind][name].append(pos)
            per_kind["all"][name].append(pos)
        if not ours:
            empty[case.kind] += 1
            empty["all"] += 1
        if verbose:
            print(
                f"{case.key:34} {case.kind:14} truth={case.truth:28} ours={ours[:3]} "
                f"baro={theirs[:3]}",
                file=sys.stderr,
            )
    table: dict[str, Any] = {}
    for kind, by in sorted(per_kind.items()):
        row: dict[str, Any] = {"n": len(by["opsflow"]), "empty": empty[kind]}
        for name, positions in by.items():
            row[name] = {
                f"ac{k}": round(sum(1 for p in positions if p and p <= k) / len(positions), 3)
                for k in (1, 3)
            }
        table[kind] = row
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rca.offline")
    parser.add_argument("--only", default="nezha,petshop,hard,synthetic")
    parser.add_argument("--per-kind", type=int, default=8, help="hard generator cases per kind")
    parser.add_argument("--seed", type=int, default=1, help="hard generator seed")
    parser.add_argument("--ablate", action="store_true", help="each rule switched off in turn")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--dump",
        type=Path,
        help="write every case's full answer (JSON) here, for cmp (with --ablate: per rule)",
    )
    parser.add_argument(
        "--digits", type=int, default=9, help="significant digits of dumped floats (0: exact)"
    )
    args = parser.parse_args(argv)
    if args.digits < 0:
        parser.error("--digits: 0 (exact) or a positive number of significant digits")
    suites = {s.strip() for s in args.only.split(",")}
    loaded: dict[str, tuple[list[OfflineCase], list[AnalysisInput]]] = {}
    if "nezha" in suites:
        tels, cases = nezha_cases(SHARED / "nezha-tt")
        loaded["nezha"] = (cases, inputs_of(tels, cases))
    if "petshop" in suites:
        tels, cases = petshop_cases(SHARED / "petshop" / "dataset")
        loaded["petshop"] = (cases, inputs_of(tels, cases))
    if "hard" in suites:
        tels, cases = hard_cases(args.per_kind, args.seed)
        loaded["hard"] = (cases, inputs_of(tels, cases))
    if "synthetic" in suites:
        tels, cases = synthetic_cases([1, 2, 3])
        loaded["synthetic"] = (cases, inputs_of(tels, cases))
    configs = {"all rules": DEFAULT_CONFIG}
    if args.ablate:
        for rule in Rule:
            configs[f"without {rule.value}"] = AnalysisConfig(disabled=frozenset({rule}))
    if args.dump is not None:
        count = dump(loaded, args.dump, args.digits, configs)
        print(f"dumped {count} answers to {args.dump}", file=sys.stderr)
    figures: dict[str, Any] = {}
    for label, config in configs.items():
        figures[label] = {
            name: run(cases, inputs, config, args.verbose and label == "all rules")
            for name, (cases, inputs) in loaded.items()
        }
    print(json.dumps(figures if args.ablate else figures["all rules"], indent=1))


if __name__ == "__main__":
    main()
