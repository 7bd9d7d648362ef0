"""``python -m bench.rca.speed``: CPU time of ``analyze`` per question, two versions side by side.

The inputs are the offline loop's (``bench/rca/offline.py``: the ``AnalysisInput`` the rule
plan would hand to ``analyze`` on Train-Ticket, PetShop, the hard generator and the
synthetic tenants), built once and written to a temporary file. Two versions of the
``opsflow`` package are measured on exactly those inputs: ``--baseline`` (a git ref,
exported with ``git archive``) and this working tree. Each measurement is a fresh child
process that puts its version first on ``sys.path``, runs every input once to warm up, then
``--passes`` times, timing each pass with ``time.process_time``. Children alternate
(baseline, current, baseline, current...) for ``--rounds`` rounds, so a change of load on
the shared machine cannot favour either. Reported: the median CPU milliseconds per question
of each version, per suite and over all, their ratio (current / baseline) and the spread
of the per-round ratios. ``--profile N`` prints the current tree's top N functions by own
time (cProfile) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Run in the child with ``python -c``: nothing of this tree is imported before the
# version under test is first on the path.
_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from opsflow.analysis import analyze
import opsflow.analysis as pkg
from opsflow.models import AnalysisInput
suites = {}
with open(sys.argv[2], encoding="utf-8") as fh:
    for line in fh:
        suite, raw = line.split("\\t", 1)
        suites.setdefault(suite, []).append(AnalysisInput.model_validate_json(raw))
passes = int(sys.argv[3])
for inputs in suites.values():
    for inp in inputs:
        analyze(inp)
out = {"module": pkg.__file__, "ms": {}}
for suite, inputs in suites.items():
    times = []
    for _ in range(passes):
        t0 = time.process_time()
        for inp in inputs:
            analyze(inp)
        times.append((time.process_time() - t0) * 1000.0 / len(inputs))
    out["ms"][suite] = times
print(json.dumps(out))
"""


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


def _git(*args: str) -> bytes:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise SystemExit(f"error: git_failed: git {args[0]}: {' '.join(reason)}")
    return done.stdout


def export(ref: str, into: Path) -> Path:
    """The ``opsflow`` package as it is at ``ref``."""
    subprocess.run(
        ["tar", "-x", "-C", str(into)], input=_git("archive", ref, "opsflow"), check=True
    )
    return into


def measure(root: Path, inputs: Path, passes: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(inputs), str(passes)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:]
        raise SystemExit(f"error: measure_failed: {root}: {' '.join(last)}")
    result: dict[str, Any] = json.loads(done.stdout)
    if not str(result["module"]).startswith(str(root)):
        raise SystemExit(f"error: wrong_code: {result['module']} is not under {root}")
    return result


def per_question(run: dict[str, Any], counts: dict[str, int]) -> dict[str, float]:
    """One child's median ms per question per suite, and over all (weighted by questions)."""
    out = {s: statistics.median(run["ms"][s]) for s in counts}
    out["all"] = sum(out[s] * n for s, n in counts.items()) / sum(counts.values())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rca.speed")
    parser.add_argument("--baseline", default="main", help="git ref of the version to beat")
    parser.add_argument("--only", default="nezha,petshop,hard,synthetic")
    parser.add_argument("--rounds", type=int, default=3, help="baseline/current alternations")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per child")
    parser.add_argument("--inputs", type=Path, help="reuse (or keep) the built inputs here")
    parser.add_argument("--profile", type=int, default=0, help="top N functions instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rca-speed-") as tmp:
        inputs = args.inputs or Path(tmp) / "inputs.tsv"
        if inputs.exists():
            with inputs.open(encoding="utf-8") as fh:
                counts = dict(Counter(line.split("\t", 1)[0] for line in fh))
        else:
            counts = write_inputs({s.strip() for s in args.only.split(",")}, inputs)
        if args.profile:
            profile(inputs, args.profile)
            return
        base_root = export(args.baseline, Path(tmp))
        load_before = os.getloadavg()
        rounds = []
        for _ in range(args.rounds):
            base = per_question(measure(base_root, inputs, args.passes), counts)
            cur = per_question(measure(ROOT, inputs, args.passes), counts)
            rounds.append((base, cur))
    keys = [*counts, "all"]
    med = {
        name: {k: round(statistics.median(r[i][k] for r in rounds), 3) for k in keys}
        for i, name in enumerate(("baseline", "current"))
    }
    spread = [cur["all"] / base["all"] for base, cur in rounds]
    report = {
        "baseline": args.baseline,
        "questions": counts,
        "cpu_ms_per_question": med,
        "ratio": {k: round(med["current"][k] / med["baseline"][k], 3) for k in keys},
        "round_ratios_all": [round(r, 3) for r in spread],
        "rounds": args.rounds,
        "passes": args.passes,
        "commits": {
            "baseline": _git("rev-parse", "--short", args.baseline).decode().strip(),
            "current": _git("rev-parse", "--short", "HEAD").decode().strip()
            + ("+dirty" if _git("status", "--porcelain", "opsflow") else ""),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
    }
    print(json.dumps(report, indent=1))


def profile(inputs: Path, top: int) -> None:
    import cProfile
    import pstats

    from opsflow.analysis import analyze
    from opsflow.models import AnalysisInput

    with inputs.open(encoding="utf-8") as fh:
        loaded = [AnalysisInput.model_validate_json(line.split("\t", 1)[1]) for line in fh]
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        for inp in loaded:
            analyze(inp)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    main()
