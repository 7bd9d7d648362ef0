"""``python -m bench.profile``: where a question's worker CPU goes, OpsFlow beside the bare
shape, as one JSON object.

Both workers run in this process (as in the throughput section); for each side a closed
loop of questions runs while py-spy samples this process's threads that hold the GIL
(``--gil``: Python CPU, not waiting). Each sample is put in one bucket by its stack (see
``bucket_of``), and the buckets are reported in milliseconds of GIL time per question.
The split answers one question the throughput section cannot: how much of OpsFlow's
extra CPU over the bare shape is the question's own work (database reads, the analysis,
converting the real data it carries) and how much is orchestration.

Needs py-spy (a dev dependency) and the right to trace this process (root, or
``kernel.yama.ptrace_scope=0``). Rust threads of the Temporal core and C extensions that
release the GIL are not sampled: the figures are Python's share, not the process's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.bare import bare_worker
from bench.common import in_process_worker, progress, rounded
from bench.environment import bench_stack, bytecode_cache, seed, typical_questions
from bench.throughput import _bare_request, closed_loop, orchestration_request, sample_shape
from opsflow.settings import Settings
from opsflow.temporal_client import connect
from opsflow_app.seed import SIZES

# First match wins, searched from the innermost frame outwards: a pydantic call made by
# the analysis counts as analysis; the same call made by the SDK's converter as payloads.
BUCKETS: tuple[tuple[str, str], ...] = (
    ("analysis", r"opsflow/analysis/"),
    ("database", r"asyncpg/|opsflow/db/"),
    ("opsflow_code", r"[(/]opsflow/"),
    ("payloads", r"temporalio/converter/|temporalio/contrib/pydantic|temporalio/bridge/_visitor"),
    ("sandbox", r"temporalio/worker/workflow_sandbox/"),
    ("workflow_code", r"[(/]workflows/"),
    ("activity_code", r"[(/]activities/"),
    ("temporal_sdk", r"temporalio/"),
    ("client", r"bench/throughput\.py|opsflow_app/client/"),
)
OTHER = "other"


def bucket_of(frames: Sequence[str]) -> str:
    """The bucket of one sampled stack (frames outermost first, py-spy's raw format)."""
    for frame in reversed(frames):
        for name, pattern in BUCKETS:
            if re.search(pattern, frame):
                return name
    return OTHER


def split(raw: str) -> Counter[str]:
    """Samples per bucket in py-spy's raw (collapsed) output: ``frame;frame;... count``."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[bucket_of(stack.split(";"))] += int(count)
    return counts


async def _profiled(
    one: Callable[[int], Awaitable[str]], *, concurrency: int, total: int, rate: int
) -> tuple[Counter[str], int]:
    """Samples per bucket while ``total`` requests run; and the requests profiled."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        spy = await asyncio.create_subprocess_exec(
            "py-spy", "record", "--pid", str(os.getpid()), "--gil", "--nonblocking",
            "--rate", str(rate), "--format", "raw", "--output", str(out),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(1.0)  # attached before the first request
        load = await closed_loop(one, concurrency=concurrency, total=total)
        spy.send_signal(signal.SIGINT)  # py-spy writes what it has and exits
        await asyncio.wait_for(spy.wait(), 30)
        seconds_per_sample = 1.0 / rate
        counts = split(out.read_text()) if out.exists() else Counter()
    progress(f"profile: {load.per_s:.1f}/s, {sum(counts.values())} samples")
    return Counter({k: round(v * seconds_per_sample * 1000) for k, v in counts.items()}), (
        load.total
    )


async def profile(concurrency: int, total: int, rate: int, size: str) -> dict[str, Any]:
    base = Settings().model_copy(update={"openai_api_key": None, "openai_base_url": None})
    with bench_stack(base) as servers:
        settings = servers.settings
        report = await seed(settings.db_dsn or "", size)
        client = await connect(settings)
        questions = await typical_questions(settings.db_dsn or "")
        async with (
            in_process_worker(client, settings, tool_latency_ms=0) as ops,
            bare_worker(client, settings) as bare_queue,
        ):
            shape, _ = await sample_shape(client, ops, report.end, questions)
            sides = {
                "ops": orchestration_request(client, ops, report.end, questions, eager=True),
                "bare": _bare_request(client, bare_queue, shape),
            }
            for one in sides.values():
                await closed_loop(one, concurrency=concurrency, total=concurrency)  # warm
            out: dict[str, Any] = {"size": size, "concurrency": concurrency, "requests": total}
            for side, one in sides.items():
                ms, requests = await _profiled(one, concurrency=concurrency, total=total, rate=rate)
                per_q = {k: rounded(v / requests, 1) for k, v in sorted(ms.items())}
                per_q["total"] = rounded(sum(ms.values()) / requests, 1)
                out[f"{side}_gil_ms_per_question"] = per_q
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300, help="per side")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--size", choices=sorted(SIZES), default="small", help="seed size")
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None:
        print("error: PROFILER_MISSING: py-spy is not installed (pip install py-spy)")
        return 2
    began = time.perf_counter()
    with bytecode_cache(True):
        figures = asyncio.run(profile(args.concurrency, args.requests, args.rate, args.size))
    figures["seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
