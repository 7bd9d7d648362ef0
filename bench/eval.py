"""``python bench/eval.py [--quick]``: answer quality of the root-cause ranking, ONE JSON object.

End to end through the real system: the embedded stack (Temporal dev server + PostgreSQL
on free ports in a temporary directory, or ``TEMPORAL_ADDRESS`` / ``OPSFLOW_DB_DSN``), data
seeded or imported into PostgreSQL, every question asked through the real workflow on an
in-process worker with ``reference_time`` = the case's time. Progress goes to stderr.

(a) synthetic: every injected incident of the seed generator (bad deploy, saturated
    database, noisy neighbour) for each catalog x seed, decoys included; the incident's
    question (a caller of the root) at the seed's end, scored against ``root_ci``.
(b) PetShop (read in place, never copied): each issue's "why is PetSite slow /
    unavailable?" scored against ``root_cause.node``, plus fault-free windows that should
    yield no candidate. See ``bench/rca/petshop.py`` for the conversion and the time shift.
    Primary figures: the question text at target.timestamp, planned by the workflow itself;
    ``VARIANTS`` (full mode) are labelled comparisons with a bench-built plan.
(c) hard: the hard generator (``bench/rca/hard_generator.py``), every fault kind, each
    case imported into its own tenant through the importer; figures per fault kind.
(d) nezha (Train-Ticket, read in place): one tenant per day, each injected fault asked
    about the entry service at its ``at``; see ``bench/rca/nezha.py``.

Every suite also scores the peer rankers (``bench/rca/baselines.py``: BARO and the latest
change in the closure) on exactly the tool results each question's workflow read, taken
from its history (``bench/rca/observed.py``), side by side with OpsFlow (``vs_peers``).
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import in_process_worker, progress
from bench.environment import bench_stack
from bench.rca.asking import PlanParams, ask_all
from bench.rca.compare import headline_rows, side_by_side
from bench.rca.hard_suite import hard_suite
from bench.rca.nezha import DEFAULT_ROOT as NEZHA_ROOT
from bench.rca.nezha import nezha_suite
from bench.rca.petshop import DEFAULT_ROOT, MetricMapping
from bench.rca.petshop_suite import AskAt, load_petshop, petshop_setup
from bench.rca.report import code_fingerprint, misses, petshop_figures
from bench.rca.scoring import Outcome, leak_report
from bench.rca.synthetic import synthetic_suite
from opsflow.logging_setup import configure_logging
from opsflow.planner.rules import HISTORY_HOURS
from opsflow.settings import Settings
from opsflow.temporal_client import connect

log = logging.getLogger("bench.eval")

# PRIMARY protocol: each issue's question text asked at target.timestamp and planned by the
# workflow itself (rule planner defaults: 60 min window + 6 h history, every metric, and
# ``after_minutes`` past a past reference time). No plan override.
PETSHOP_PRIMARY = PlanParams()
PRIMARY_ASK_AT: AskAt = "target"
# The bench-built plan of earlier figures, kept as labelled variants only. PetShop rows are
# 5 minutes apart; 18 h of history gives 216 baseline points and a 19 h span the metric tool
# buckets at exactly 5 minutes.
PETSHOP_PLAN = PlanParams(
    window_minutes=60,
    history_hours=18,
    metrics=("latency_avg", "latency_p95", "availability", "rps"),
)
# Imported in both modes (the primary reads every metric the tenant has).
PETSHOP_MAPPING = MetricMapping(latency_stats=("Average", "p95"))
PETSHOP_SCENARIOS = ["low_traffic", "high_traffic", "temporal_traffic1", "temporal_traffic2"]


@dataclass(frozen=True)
class Variant:
    """A PetShop configuration other than the primary one, for comparison."""

    name: str
    params: PlanParams
    ask_at: AskAt = "window_end"
    note: str = ""


VARIANTS = (
    Variant(
        "override_at_window_end",
        PETSHOP_PLAN,
        note="bench-built plan_override (18 h history, fixed metrics) asked one row "
        "after the issue window (target + 12..22 min): the earlier primary",
    ),
    Variant(
        "override_at_target",
        PETSHOP_PLAN,
        ask_at="target",
        note="same plan_override, asked at target.timestamp",
    ),
    Variant(
        "override_latency_p95_only",
        replace(PETSHOP_PLAN, metrics=("latency_p95", "availability", "rps")),
        note="override at window end without the Average latency the targets use",
    ),
    Variant(
        "override_latency_avg_only",
        replace(PETSHOP_PLAN, metrics=("latency_avg", "availability", "rps")),
        note="override at window end without latency_p95",
    ),
)


@dataclass(frozen=True)
class Profile:
    synthetic: dict[str, list[int]]  # seed size -> seeds (each: 3 catalogs x 3 incidents)
    fault_free_windows: int  # per scenario; each is asked both questions
    variants: bool
    mapping: MetricMapping


QUICK = Profile(
    synthetic={"small": [1, 2, 3]}, fault_free_windows=5, variants=False, mapping=PETSHOP_MAPPING
)
# medium: 24 h of 1-minute history with daily seasonality and 20 more services per tenant.
FULL = Profile(
    synthetic={"small": [1, 2, 3, 4, 5], "medium": [1, 2, 3]},
    fault_free_windows=12,
    variants=True,
    mapping=PETSHOP_MAPPING,
)


# Hard generator: cases per fault kind (13 kinds) and the one seed they are drawn from.
HARD_PER_KIND = {"quick": 3, "full": 9}
HARD_SEED = 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/eval.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 seeds at size small, primary PetShop config, 3 hard cases per kind, every "
        "Train-Ticket fault",
    )
    parser.add_argument(
        "--only",
        default=",".join(SUITES),
        help=f"comma-separated suites: {', '.join(SUITES)} (default: all)",
    )
    parser.add_argument("--petshop-root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--nezha-root", type=Path, default=NEZHA_ROOT)
    parser.add_argument("--concurrency", type=int, default=8, help="questions in flight")
    parser.add_argument(
        "--cases",
        action="store_true",
        help="list every case in the JSON (OpsFlow's and the peers' top 3, status, notes)",
    )
    args = parser.parse_args(argv)
    args.suites = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := args.suites - set(SUITES):
        parser.error(
            f"--only: unknown suite {', '.join(sorted(unknown))}; one of {', '.join(SUITES)}"
        )
    return args


async def petshop_suite(
    client: Any,
    settings: Settings,
    profile: Profile,
    root: Path,
    concurrency: int,
) -> tuple[dict[str, Any], list[Outcome]]:
    # Exactly what the plans read (history + window) and one row more: smaller imports.
    plans = [PETSHOP_PRIMARY] + ([v.params for v in VARIANTS] if profile.variants else [])
    history_h = (
        max((p.history_hours or HISTORY_HOURS) + (p.window_minutes or 60) / 60 for p in plans) + 0.1
    )
    with tempfile.TemporaryDirectory(prefix="opsflow-petshop-") as workdir:
        load = await load_petshop(
            settings.db_dsn or "",
            root,
            PETSHOP_SCENARIOS,
            profile.mapping,
            Path(workdir),
            history_hours=history_h,
            fault_free_windows=profile.fault_free_windows,
        )
    issues = load.issue_cases(PRIMARY_ASK_AT)
    clean = load.fault_free_cases()
    progress(f"petshop: asking {len(issues)} issues + {len(clean)} fault-free windows")
    outcomes = await ask_all(
        client,
        settings,
        issues + clean,
        params=lambda _: PETSHOP_PRIMARY,
        concurrency=concurrency,
        label="petshop",
    )
    figures = petshop_figures(outcomes[: len(issues)], outcomes[len(issues) :])
    # Issues only: on a fault-free window every peer names something by construction.
    figures["vs_peers"] = side_by_side(outcomes[: len(issues)])
    figures["setup"] = petshop_setup(load, history_h, PETSHOP_PRIMARY.describe())
    every = list(outcomes)
    if profile.variants:
        figures["variants"] = {}
        measured = {PETSHOP_PRIMARY}
        for variant in VARIANTS:
            v_issues = load.issue_cases(variant.ask_at)
            # Fault-free windows do not depend on ask_at: each plan's specificity once.
            v_clean = [] if variant.params in measured else clean
            measured.add(variant.params)
            out = await ask_all(
                client,
                settings,
                v_issues + v_clean,
                params=lambda _, p=variant.params: p,  # type: ignore[misc]
                concurrency=concurrency,
                label=f"petshop {variant.name}",
            )
            every += out
            fig = petshop_figures(out[: len(v_issues)], out[len(v_issues) :])
            figures["variants"][variant.name] = {
                "note": variant.note,
                "ask_at": variant.ask_at,
                "plan": variant.params.describe(),
                **{
                    k: fig[k]
                    for k in ("n", "top1", "top3", "avg5", "by_issue_kind", "by_scenario_kind")
                },
                **({"fault_free": fig["fault_free"]} if "fault_free" in fig else {}),
            }
    return figures, every


@dataclass(frozen=True)
class SuiteContext:
    client: Any
    settings: Settings  # the in-process worker's
    profile: Profile
    args: argparse.Namespace


SuiteRun = Callable[[SuiteContext], Awaitable[tuple[dict[str, Any], list[Outcome]]]]

# Every dataset the evaluation runs, in order. A new suite is one entry here: a function
# of the context returning (figures, outcomes); its figures should hold ``vs_peers``
# (``bench.rca.compare.side_by_side``) so it joins the side-by-side table.
SUITES: dict[str, SuiteRun] = {
    "synthetic": lambda ctx: synthetic_suite(
        ctx.client, ctx.settings, ctx.profile.synthetic, ctx.args.concurrency
    ),
    "petshop": lambda ctx: petshop_suite(
        ctx.client, ctx.settings, ctx.profile, ctx.args.petshop_root, ctx.args.concurrency
    ),
    "hard": lambda ctx: hard_suite(
        ctx.client,
        ctx.settings,
        HARD_PER_KIND["quick" if ctx.args.quick else "full"],
        HARD_SEED,
        ctx.args.concurrency,
    ),
    "nezha": lambda ctx: nezha_suite(
        ctx.client,
        ctx.settings,
        ctx.args.nezha_root,
        ctx.args.concurrency,
    ),
}


async def evaluate(args: argparse.Namespace, figures: dict[str, Any]) -> list[str]:
    profile = QUICK if args.quick else FULL
    failed: list[str] = []
    base = Settings().model_copy(update={"openai_api_key": None, "openai_base_url": None})
    every: list[Outcome] = []
    with bench_stack(base) as servers:
        settings = servers.settings
        figures["servers"] = servers.source
        client = await connect(settings)
        async with in_process_worker(client, settings) as worker_settings:
            ctx = SuiteContext(client, worker_settings, profile, args)
            for name, run in SUITES.items():
                if name not in args.suites:
                    continue
                began = time.perf_counter()
                try:
                    figures[name], outcomes = await run(ctx)
                except Exception:
                    # One suite's failure must not hide the other's figures: logged with
                    # its traceback, and the exit status becomes 1.
                    log.exception("eval suite %s failed", name)
                    failed.append(name)
                    continue
                every += outcomes
                figures[name]["seconds"] = round(time.perf_counter() - began, 1)
                figures["misses"][name] = misses(outcomes)
                if args.cases:
                    figures.setdefault("cases", {})[name] = [o.listing() for o in outcomes]
    figures.update(leak_report(every))
    figures["questions_asked"] = len(every)
    figures["answer_seconds_p50"] = _median([o.seconds for o in every])
    return failed


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[len(ordered) // 2], 2)


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    """Per suite: each ranker's n / top1 / top3 / avg5 / empty rankings over all its cases."""
    out: dict[str, Any] = {}
    for suite in SUITES:
        section = figures.get(suite)
        if section and "vs_peers" in section:
            out[suite] = section["vs_peers"]["all"]
        elif section:
            out[suite] = {k: section.get(k) for k in ("n", "top1", "top3", "avg5")}
    if "petshop" in figures and "fault_free" in figures["petshop"]:
        out["petshop_fault_free_empty"] = figures["petshop"]["fault_free"]["empty_fraction"]
    return out


def json_stream() -> TextIO:
    """The real stdout, for the JSON alone; file descriptor 1 itself now goes to stderr.

    ``redirect_stdout`` is not enough: Temporal's core (Rust) writes its warnings straight
    to fd 1, and may still do so while the process shuts down.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")
    began = time.perf_counter()
    figures: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "code": code_fingerprint(),
        "misses": {},
    }
    out = json_stream()
    failed = asyncio.run(evaluate(args, figures))
    figures = {
        "mode": figures.pop("mode"),
        "summary": headline(figures),
        "vs_peers_table": headline_rows(figures),
        "tenant_leak": figures.pop("tenant_leak", None),
        **figures,
    }
    figures["failed_suites"] = failed
    figures["eval_seconds"] = round(time.perf_counter() - began, 1)
    progress(f"done in {figures['eval_seconds']} s")
    json.dump(figures, out, indent=2)
    out.write("\n")
    out.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
