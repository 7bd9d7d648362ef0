"""``python -m bench.rca.hard_offline [--per-kind N] [--seed S] [-v]``: the hard generator
in the offline developer loop (``bench.rca.offline``): no Temporal, no PostgreSQL, the pure
analysis and the BARO baseline on the series the product would read, per fault kind.

For iteration only; ``bench/eval.py`` (suite ``hard``) gives the figures of record.
"""

from __future__ import annotations

import argparse
import json

from bench.rca.hard_generator import generate_suite
from bench.rca.hard_model import HardCase
from bench.rca.offline import OfflineCase, Telemetry, run
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
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    figures = run(*hard_cases(args.per_kind, args.seed), verbose=args.verbose)
    print(json.dumps({"hard": figures}, indent=1))


if __name__ == "__main__":
    main()
