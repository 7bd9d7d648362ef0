"""``python -m bench.rca.hard_offline [--per-kind N] [--seed S] [--ablate] [-v]``: the hard
generator in the offline developer loop (``bench.rca.offline``): no Temporal, no
PostgreSQL, the pure analysis and the BARO baseline on the series the product would read,
per fault kind.

For iteration only; ``bench/eval.py`` (suite ``hard``) gives the figures of record.
"""

from __future__ import annotations

import argparse
import json

from bench.rca.hard_generator import generate_suite
from bench.rca.hard_model import HardCase
from bench.rca.offline import OfflineCase, Telemetry, inputs_of, run
from opsflow.analysis.config import DEFAULT_CONFIG, AnalysisConfig, Rule
from opsflow.importer import event_id_for
from opsflow.models import EventRecord


def telemetry_of(case: HardCase) -> Telemetry:
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


def hard_cases(per_kind: int, seed: int) -> tuple[dict[str, Telemetry], list[OfflineCase]]:
    tels: dict[str, Telemetry] = {}
    cases: list[OfflineCase] = []
    for case in generate_suite(per_kind, seed):
        tels[case.key] = telemetry_of(case)
        cases.append(
            OfflineCase(
                "hard", case.kind.value, case.key, case.key, case.question, case.at, case.truth
            )
        )
    return tels, cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rca.hard_offline")
    parser.add_argument("--per-kind", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ablate", action="store_true", help="each rule switched off in turn")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    tels, cases = hard_cases(args.per_kind, args.seed)
    inputs = inputs_of(tels, cases)
    configs = {"all rules": DEFAULT_CONFIG}
    if args.ablate:
        for rule in Rule:
            configs[f"without {rule.value}"] = AnalysisConfig(disabled=frozenset({rule}))
    figures = {
        label: {"hard": run(cases, inputs, config, args.verbose and label == "all rules")}
        for label, config in configs.items()
    }
    print(json.dumps(figures if args.ablate else figures["all rules"], indent=1))


if __name__ == "__main__":
    main()
