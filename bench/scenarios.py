"""Figures 1 and 2: orchestration overhead over the tools' critical path, and the speedup of
the dataflow scheduler over the serial runner, with tools of a known latency."""

from __future__ import annotations

import dataclasses
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.client import Client

from bench.bare import bare_worker, shape_from_run, start_bare
from bench.bare_workflow import BareShape
from bench.common import (
    in_process_worker,
    median_by_key,
    percentile,
    progress,
    rounded,
    timed_orchestration,
)
from bench.history import breakdown, history_events
from opsflow.models import OrchestrationResult, Plan, PlanStep, Status
from opsflow.names import Capability
from opsflow.settings import Settings

TOOL_LATENCY_MS = 200
LEVELS = 2
STEPS_PER_LEVEL = 3
DEFAULT_PARALLEL = 4
SERIAL_PARALLEL = 1
TENANT = "t_acme"
FOCUS_CI = "checkout-api"


def two_level_plan(ci: str = FOCUS_CI) -> Plan:
    """3 independent cheap steps, then 3 steps each depending on all of level one."""
    cheap: list[tuple[str, dict[str, Any]]] = [
        ("ci", {"capability": Capability.CI_SEARCH, "params": {"name": ci, "limit": 5}}),
        (
            "events",
            {"capability": Capability.EVENT_SEARCH, "params": {"ci": ci, "window_minutes": 60}},
        ),
        (
            "topology",
            {
                "capability": Capability.GRAPH_TRAVERSAL,
                "params": {"ci": ci, "direction": "upstream", "depth": 2},
            },
        ),
    ]
    level_one = [PlanStep(id=f"{sid}_1", **spec) for sid, spec in cheap]
    parents = [s.id for s in level_one]
    level_two = [PlanStep(id=f"{sid}_2", depends_on=parents, **spec) for sid, spec in cheap]
    return Plan(
        steps=level_one + level_two,
        focus_ci=ci,
        intent="investigate",
        rationale="bench: two dependency levels of cheap tools",
    )


@dataclass
class LatencyRuns:
    e2e_ms: list[float]
    phases: list[dict[str, float]]
    history: list[dict[str, float]]
    # CPU of this process (client + in-process worker, every thread) per run.
    cpu_ms: list[float] = field(default_factory=list)


async def _ops_run(
    client: Client, settings: Settings, at: datetime, max_parallel: int, out: LatencyRuns | None
) -> tuple[OrchestrationResult, list[dict[str, Any]]]:
    """One timed orchestration of the 6-step plan; recorded in ``out`` unless warming up."""
    cpu = time.process_time()
    e2e, result, handle = await timed_orchestration(
        client,
        settings,
        question=f"why is {FOCUS_CI} slow?",
        tenant=TENANT,
        at=at,
        plan=two_level_plan(),
        max_parallel=max_parallel,
        eager=True,
    )
    cpu_ms = (time.process_time() - cpu) * 1000
    if result.status is not Status.SUCCESS:
        raise RuntimeError(f"bench plan did not succeed: {result.status} {result.missing}")
    events = await history_events(handle)
    if out is not None:
        out.cpu_ms.append(cpu_ms)
        out.e2e_ms.append(e2e)
        out.phases.append(dict(result.phase_timings_ms))
        out.history.append(breakdown(events, e2e))
    return result, events


async def _bare_run(client: Client, queue: str, shape: BareShape, out: LatencyRuns) -> None:
    """The same activity shape as a bare workflow: Temporal's own floor on this machine."""
    began, cpu = time.perf_counter(), time.process_time()
    handle = await start_bare(client, queue, shape)
    await handle.result()
    e2e = (time.perf_counter() - began) * 1000
    out.cpu_ms.append((time.process_time() - cpu) * 1000)
    out.e2e_ms.append(e2e)
    out.history.append(breakdown(await history_events(handle), e2e))


async def _paired(
    client: Client, settings: Settings, queue: str, at: datetime, shape: BareShape, runs: int
) -> tuple[LatencyRuns, LatencyRuns]:
    """Orchestration and bare runs alternate, so drifting machine load hits both alike."""
    ops, bare = LatencyRuns([], [], []), LatencyRuns([], [], [])
    await _bare_run(client, queue, shape, LatencyRuns([], [], []))  # warm-up
    for _ in range(runs):
        await _ops_run(client, settings, at, shape.max_parallel, ops)
        await _bare_run(client, queue, shape, bare)
    return ops, bare


async def latency_scenarios(
    client: Client, settings: Settings, at: datetime, *, runs: int, serial_runs: int
) -> dict[str, Any]:
    critical_ms = LEVELS * TOOL_LATENCY_MS
    ideal = (LEVELS * STEPS_PER_LEVEL * TOOL_LATENCY_MS) / critical_ms
    async with (
        in_process_worker(client, settings, tool_latency_ms=TOOL_LATENCY_MS) as custom,
        bare_worker(client, settings) as queue,
    ):
        result, events = await _ops_run(client, custom, at, DEFAULT_PARALLEL, None)
        await _ops_run(client, custom, at, DEFAULT_PARALLEL, None)
        shape = shape_from_run(result, events, DEFAULT_PARALLEL)
        shape.step_sleep_ms = TOOL_LATENCY_MS
        progress(
            f"overhead: {runs} runs of the 6-step plan, tools at {TOOL_LATENCY_MS} ms, "
            f"max_parallel={DEFAULT_PARALLEL}, each followed by the bare baseline"
        )
        default, bare = await _paired(client, custom, queue, at, shape, runs)
        progress(f"speedup: {serial_runs} runs with max_parallel={SERIAL_PARALLEL}")
        serial_shape = dataclasses.replace(shape, max_parallel=SERIAL_PARALLEL)
        serial, bare_serial = await _paired(client, custom, queue, at, serial_shape, serial_runs)
    bare_p50 = statistics.median(bare.e2e_ms)
    bare_serial_p50 = statistics.median(bare_serial.e2e_ms)
    p50 = statistics.median(default.e2e_ms)
    serial_p50 = statistics.median(serial.e2e_ms)
    speedup = serial_p50 / p50
    return {
        "overhead_ratio": rounded(p50 / critical_ms, 3),
        "p50_ms": rounded(p50, 1),
        "p95_ms": rounded(percentile(default.e2e_ms, 95), 1),
        "min_ms": rounded(min(default.e2e_ms), 1),
        "critical_path_ms": critical_ms,
        "overhead_runs": runs,
        "phase_timings_ms": median_by_key(default.phases),
        "overhead_breakdown_ms": median_by_key(default.history),
        "parallel_speedup": rounded(speedup, 3),
        "ideal_speedup": rounded(ideal, 3),
        "speedup_of_ideal": rounded(speedup / ideal, 3),
        "serial_p50_ms": rounded(serial_p50, 1),
        "serial_runs": serial_runs,
        "serial_phase_timings_ms": median_by_key(serial.phases),
        # Temporal alone, same activities, same dependency shape, same tool sleeps.
        "bare_p50_ms": rounded(bare_p50, 1),
        "bare_overhead_ratio": rounded(bare_p50 / critical_ms, 3),
        "bare_breakdown_ms": median_by_key(bare.history),
        "bare_serial_p50_ms": rounded(bare_serial_p50, 1),
        "bare_parallel_speedup": rounded(bare_serial_p50 / bare_p50, 3),
        "overhead_over_bare_ms": rounded(p50 - bare_p50, 1),
        "cpu_ms_per_run": rounded(statistics.median(default.cpu_ms), 1),
        "bare_cpu_ms_per_run": rounded(statistics.median(bare.cpu_ms), 1),
    }
