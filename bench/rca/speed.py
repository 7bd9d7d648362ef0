"""``python -m bench.rca.speed``: CPU time of ``analyze`` per question, two versions side by side.

The inputs are the offline loop's (``bench/rca/offline.py``: the ``AnalysisInput`` the rule
plan would hand to ``analyze`` on Train-Ticket, PetShop, the hard generator and the
synthetic tenants), built once. Two versions of ``opsflow/analysis`` run on exactly those
inputs in one process: ``--baseline`` (a git ref, exported with ``git archive`` and imported
as a package of its own, ``opsflow_baseline_analysis``; it shares this tree's models) and
this working tree. A warm-up pass of each also checks that both give the same findings
for every input. Every round then times one pass of each over every suite with
``time.process_time``, taking turns suite by suite, so a change of load on the shared
machine falls on both alike. Reported: the median CPU milliseconds per question of each
version, per suite and over all (weighted by questions), and the ratio current /
baseline: the median of the rounds' paired ratios, with their range. ``--profile N``
prints this tree's top N functions by own time (cProfile) instead.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_PACKAGE = "opsflow.analysis"
_BASELINE_PACKAGE = "opsflow_baseline_analysis"

Analyze = Callable[..., Any]
Suites = dict[str, list[Any]]


def write_inputs(only: set[str], path: Path) -> dict[str, int]:
    from bench.rca.offline import inputs_of
    from bench.rca.offline_data import (
        SHARED,
        hard_cases,
        nezha_cases,
        petshop_cases,
        synthetic_cases,
    )

    loaders = {
        "nezha": lambda: nezha_cases(SHARED / "nezha-tt"),
        "petshop": lambda: petshop_cases(SHARED / "petshop" / "dataset"),
        "hard": lambda: hard_cases(8, 1),
        "synthetic": lambda: synthetic_cases([1, 2, 3]),
    }
    counts: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as fh:
        for name, load in loaders.items():
            if name not in only:
                continue
            tels, cases = load()
            inputs = inputs_of(tels, cases)
            counts[name] = len(inputs)
            for inp in inputs:
                fh.write(f"{name}\t{inp.model_dump_json()}\n")
    return counts


def read_inputs(path: Path) -> Suites:
    from opsflow.models import AnalysisInput

    suites: Suites = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            suite, raw = line.split("\t", 1)
            suites.setdefault(suite, []).append(AnalysisInput.model_validate_json(raw))
    return suites


def _git(*args: str) -> bytes:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise SystemExit(f"error: git_failed: git {args[0]}: {' '.join(reason)}")
    return done.stdout


def baseline_analyze(ref: str, into: Path) -> Analyze:
    """``analyze`` of ``opsflow/analysis`` as it is at ``ref``, importable beside this tree's:
    its own imports of the package are renamed (the rest of ``opsflow`` is this tree's)."""
    package = into / _BASELINE_PACKAGE
    package.mkdir()
    with tarfile.open(fileobj=io.BytesIO(_git("archive", ref, "opsflow/analysis"))) as tar:
        for member in tar.getmembers():
            source = tar.extractfile(member) if member.isfile() else None
            if source is None or not member.name.endswith(".py"):
                continue
            target = package / Path(member.name).relative_to(_PACKAGE.replace(".", "/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            text = source.read().decode("utf-8").replace(_PACKAGE, _BASELINE_PACKAGE)
            target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    module = importlib.import_module(_BASELINE_PACKAGE)
    if not str(module.__file__).startswith(str(package)):
        raise SystemExit(f"error: wrong_code: {module.__file__} is not under {package}")
    analyze: Analyze = module.analyze
    return analyze


def one_pass(analyze: Analyze, inputs: list[Any]) -> float:
    """CPU milliseconds per question over one pass of ``inputs``."""
    t0 = time.process_time()
    for inp in inputs:
        analyze(inp)
    return (time.process_time() - t0) * 1000.0 / len(inputs)


def same_findings(versions: dict[str, Analyze], suites: Suites) -> bool:
    """Whether every version answers every input alike (also the warm-up pass: imports,
    caches, allocator). The dump (``offline --dump``) is the finer check."""
    answers = [
        [analyze(inp).model_dump() for inputs in suites.values() for inp in inputs]
        for analyze in versions.values()
    ]
    return all(other == answers[0] for other in answers[1:])


def measure(versions: dict[str, Analyze], suites: Suites, rounds: int) -> list[dict[str, Any]]:
    """Per round and version, ms per question per suite and over all. Within a round the
    versions take turns suite by suite, the first of each pair alternating, so the two
    passes compared are seconds apart."""
    counts = {s: len(inputs) for s, inputs in suites.items()}
    out = []
    order = list(versions)
    for _ in range(rounds):
        result: dict[str, dict[str, float]] = {name: {} for name in versions}
        for suite, inputs in suites.items():
            for name in order:
                result[name][suite] = one_pass(versions[name], inputs)
            order.reverse()
        for ms in result.values():
            ms["all"] = sum(ms[s] * n for s, n in counts.items()) / sum(counts.values())
        out.append(result)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rca.speed")
    parser.add_argument("--baseline", default="main", help="git ref of the version to beat")
    parser.add_argument("--only", default="nezha,petshop,hard,synthetic")
    parser.add_argument("--rounds", type=int, default=9, help="timed passes of each version")
    parser.add_argument("--inputs", type=Path, help="reuse (or keep) the built inputs here")
    parser.add_argument("--profile", type=int, default=0, help="top N functions instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rca-speed-") as tmp:
        path = args.inputs or Path(tmp) / "inputs.tsv"
        if not path.exists():
            write_inputs({s.strip() for s in args.only.split(",")}, path)
        suites = read_inputs(path)
        if args.profile:
            profile(suites, args.profile)
            return
        from opsflow.analysis import analyze

        versions = {"baseline": baseline_analyze(args.baseline, Path(tmp)), "current": analyze}
        same = same_findings(versions, suites)
        load_before = os.getloadavg()[0]
        rounds = measure(versions, suites, args.rounds)
    keys = [*suites, "all"]
    ratios = {k: [r["current"][k] / r["baseline"][k] for r in rounds] for k in keys}
    med = {
        v: {k: round(statistics.median(r[v][k] for r in rounds), 3) for k in keys} for v in versions
    }
    report = {
        "baseline": args.baseline,
        "questions": {s: len(inputs) for s, inputs in suites.items()},
        "same_findings": same,
        "cpu_ms_per_question": med,
        # The median of paired ratios: each pair ran under the same load.
        "ratio": {k: round(statistics.median(ratios[k]), 3) for k in keys},
        "ratio_spread": {k: [round(min(ratios[k]), 3), round(max(ratios[k]), 3)] for k in keys},
        "rounds": args.rounds,
        "commits": {
            "baseline": _git("rev-parse", "--short", args.baseline).decode().strip(),
            "current": _git("rev-parse", "--short", "HEAD").decode().strip()
            + ("+dirty" if _git("status", "--porcelain", "opsflow/analysis") else ""),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
    }
    print(json.dumps(report, indent=1))


def profile(suites: Suites, top: int) -> None:
    import cProfile
    import pstats

    from opsflow.analysis import analyze

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        for inputs in suites.values():
            for inp in inputs:
                analyze(inp)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    main()
