"""A ``HardCase`` as the importer's four CSV files, exactly what ``client.py import`` reads:

``metrics.csv`` (ts,ci,metric,value; a gap is an empty value), ``graph.csv``
(source,target,relation: ``runs_on`` towards a host, ``depends_on`` otherwise),
``cis.csv`` (name,ci_type) and ``events.csv`` (ts,ci,kind,severity,message). Times are
ISO 8601 in UTC.

``python -m bench.rca.hard_files DIR [--per-kind N] [--seed S]`` writes a whole suite,
one folder per case with its ``truth.json``, for trying it by hand with ``client.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from bench.rca.hard_model import CiType, HardCase


@dataclass(frozen=True)
class CaseFiles:
    metrics: Path
    graph: Path
    cis: Path
    events: Path
    rows: int


def write_case(case: HardCase, folder: Path) -> CaseFiles:
    folder.mkdir(parents=True, exist_ok=True)
    paths = CaseFiles(
        folder / "metrics.csv", folder / "graph.csv", folder / "cis.csv", folder / "events.csv", 0
    )
    with paths.metrics.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["ts", "ci", "metric", "value"])
        for ts, ci, metric, value in case.samples:
            out.writerow([ts.isoformat(), ci, metric, "" if math.isnan(value) else repr(value)])
    types = dict(case.cis)
    with paths.graph.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["source", "target", "relation"])
        for src, dst in case.edges:
            out.writerow([src, dst, "runs_on" if types[dst] == CiType.HOST else "depends_on"])
    with paths.cis.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["name", "ci_type"])
        out.writerows([name, str(ci_type)] for name, ci_type in case.cis)
    with paths.events.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["ts", "ci", "kind", "severity", "message"])
        for ts, ci, kind, severity, message in case.events:
            out.writerow([ts.isoformat(), ci, kind, severity, message])
    return CaseFiles(paths.metrics, paths.graph, paths.cis, paths.events, len(case.samples))


def truth_of(case: HardCase) -> dict[str, object]:
    return {
        "key": case.key,
        "kind": case.kind.value,
        "fault": case.fault.value,
        "question": case.question,
        "at": case.at.isoformat(),
        "onset": case.onset.isoformat(),
        "truth": case.truth,
        "step_s": case.step_s,
        "decoys": case.decoys,
        "missing": [f"{ci}/{m}" for ci, m in case.missing],
    }


def main(argv: list[str] | None = None) -> int:
    from bench.rca.hard_generator import generate_suite

    parser = argparse.ArgumentParser(prog="python -m bench.rca.hard_files")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--per-kind", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for case in generate_suite(args.per_kind, args.seed):
        folder = args.folder / case.key.replace("/", "_")
        write_case(case, folder)
        (folder / "truth.json").write_text(json.dumps(truth_of(case), indent=2) + "\n")
        print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
