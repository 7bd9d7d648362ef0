"""``python bench/run.py [--quick] [--size S]``: OpsFlow's figures as ONE JSON object.

Starts the embedded stack on free ports in a temporary directory (or uses
``TEMPORAL_ADDRESS`` / ``OPSFLOW_DB_DSN``), seeds, measures, prints the JSON on stdout.
Progress goes to stderr. Exit status 1 when a section could not be measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):
    # Run as a script: the repository root holds the bench package and worker.py.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import progress, rounded
from bench.environment import (
    bench_stack,
    bytecode_cache,
    latest_sample,
    seed,
    typical_questions,
)
from bench.goals import evaluate
from bench.machine import load_average, machine
from bench.processes import processes_scenario
from bench.roundtrips import roundtrip_scenario
from bench.rss import rss_scenario
from bench.scale import ScaleProfile, scale_scenario
from bench.scenarios import latency_scenarios
from bench.throughput import throughput_scenario
from bench.validator import validator_latency, validator_share
from opsflow.logging_setup import configure_logging
from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.seed import SIZES

log = logging.getLogger("bench")
SECTIONS = (
    "validator",
    "latency",
    "roundtrips",
    "share",
    "throughput",
    "processes",
    "rss",
    "scale",
)
# Not run unless asked (--scale or --only scale): it reseeds, up to 30 M rows (minutes).
OPT_IN_SECTIONS = ("scale",)


@dataclass(frozen=True)
class Profile:
    runs: int
    serial_runs: int
    rounds: int
    validator_reps: int
    share_reps: int
    scale: ScaleProfile


QUICK = Profile(
    runs=8,
    serial_runs=3,
    rounds=1,
    validator_reps=5,
    share_reps=3,
    scale=ScaleProfile(passes=3, concurrency=10, throughput_total=40),
)
FULL = Profile(
    runs=30,
    serial_runs=8,
    rounds=2,
    validator_reps=20,
    share_reps=10,
    scale=ScaleProfile(passes=10, concurrency=20, throughput_total=100),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer runs and the small seed (under 3 minutes on 2 cores)",
    )
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default=None,
        help="seed size (default: small with --quick, else large)",
    )
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="use the data already there (seeding replaces the demo "
        "tenants' rows, also in a database named by OPSFLOW_DB_DSN)",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="honour PYTHONDONTWRITEBYTECODE (the sandbox then recompiles "
        "workflows/*.py on every workflow run)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="workers (OpsFlow's and the bare baseline's alike) run workflows outside "
        "Temporal's sandbox, as OPSFLOW_WORKFLOW_SANDBOX=false does",
    )
    parser.add_argument(
        "--only",
        default=",".join(s for s in SECTIONS if s not in OPT_IN_SECTIONS),
        help=f"comma-separated sections to run (default: all of {SECTIONS} but {OPT_IN_SECTIONS})",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="add the scale section (small, large and a 30 M-sample table; runs last "
        "because it replaces the data)",
    )
    args = parser.parse_args(argv)
    args.size = args.size or ("small" if args.quick else "large")
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    if args.scale and "scale" not in args.sections:
        args.sections.append("scale")
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    return args


async def bench(args: argparse.Namespace, figures: dict[str, Any]) -> dict[str, str]:
    """Fill ``figures`` section by section; returns the failed sections and their errors."""
    profile = QUICK if args.quick else FULL
    failed: dict[str, str] = {}

    async def section(name: str, body: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        if name not in args.sections:
            return
        began = time.perf_counter()
        try:
            figures.update(await body())
        except Exception as err:
            # One section's failure must not hide the others' figures; it is logged with
            # its traceback, named in the JSON, and makes the exit status 1.
            log.exception("bench section %s failed", name)
            progress(f"section {name} failed:\n{traceback.format_exc()}")
            failed[name] = f"{type(err).__name__}: {err}"[:500]
        figures["section_seconds"][name] = round(time.perf_counter() - began, 1)

    async def validator() -> dict[str, Any]:
        return validator_latency(profile.validator_reps)

    await section("validator", validator)

    # The bench never calls a real LLM: offline rules planner and template summaries.
    base = Settings().model_copy(
        update={
            "openai_api_key": None,
            "openai_base_url": None,
            "workflow_sandbox": not args.no_sandbox,
        }
    )
    figures["workflow_sandbox"] = base.workflow_sandbox
    with bench_stack(base) as servers, tempfile.TemporaryDirectory() as logs:
        settings = servers.settings
        figures["servers"] = servers.source
        figures["seed_size"] = args.size
        if args.no_seed:
            at = await latest_sample(settings.db_dsn or "")
        else:
            report = await seed(settings.db_dsn or "", args.size)
            at = report.end
            figures["seed_rows"] = report.rows
            figures["seed_rows_per_s"] = rounded(report.rows_per_s, 0)
            figures["seed_rows_per_s_with_generation"] = rounded(
                report.rows_per_s_with_generation, 0
            )
        client = await connect(settings)
        questions = await typical_questions(settings.db_dsn or "")

        await section(
            "latency",
            lambda: latency_scenarios(
                client, settings, at, runs=profile.runs, serial_runs=profile.serial_runs
            ),
        )
        await section(
            "roundtrips",
            lambda: roundtrip_scenario(client, settings, at, questions, rounds=profile.rounds),
        )
        await section("share", lambda: validator_share(settings, at, profile.share_reps))
        await section(
            "throughput",
            lambda: throughput_scenario(
                client, settings, at, questions, concurrencies=(50, 200), rounds=profile.rounds
            ),
        )
        await section(
            "processes",
            lambda: processes_scenario(
                client,
                servers,
                at,
                questions,
                concurrency=50,
                per_batch=50 * profile.rounds,
                pairs=2,
                log_dir=Path(logs),
            ),
        )
        await section(
            "rss",
            lambda: rss_scenario(
                client,
                settings,
                at,
                questions,
                concurrency=200,
                rounds=profile.rounds,
                log_dir=Path(logs),
            ),
        )
        # Last: it reseeds the stack's database (large) and builds two of its own (small seed,
        # one extended to 30 M samples) for the side-by-side pair.
        await section(
            "scale",
            lambda: scale_scenario(
                client,
                servers,
                profile=profile.scale,
                seeded=None if args.no_seed else args.size,
            ),
        )
    return failed


@contextmanager
def json_stdout() -> Iterator[TextIO]:
    """The real stdout, for the JSON alone; meanwhile file descriptor 1 is stderr.

    Redirecting ``sys.stdout`` is not enough: Temporal's Rust core writes its warnings
    to descriptor 1 directly.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with os.fdopen(os.dup(saved), "w") as out:
            yield out
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")
    began = time.perf_counter()
    figures: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "section_seconds": {},
    }
    figures["bytecode_cache"] = not args.no_bytecode_cache
    with json_stdout() as out, bytecode_cache(not args.no_bytecode_cache):
        failed = asyncio.run(bench(args, figures))
        figures["machine"]["load_average_at_end"] = load_average()
        figures["goals"] = evaluate(figures)
        figures["failed_sections"] = failed
        figures["bench_seconds"] = round(time.perf_counter() - began, 1)
        progress(f"done in {figures['bench_seconds']} s")
        json.dump(figures, out, indent=2)
        out.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
