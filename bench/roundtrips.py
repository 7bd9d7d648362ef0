"""Round trips of a typical question: workflow tasks per question and the time from the
workflow's start to its first tool's start, against the bare shape, read from histories.

Typical questions (every seeded incident) plan for real (offline rules), unlike the
latency section's fixed plan. OpsFlow and bare runs alternate (A B A B).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client

from bench.bare import bare_worker, start_bare
from bench.bare_workflow import BareShape
from bench.common import in_process_worker, percentile, progress, rounded, timed_orchestration
from bench.history import activity_spans, breakdown, history_events, nth_activity_start
from bench.throughput import sample_shape
from opsflow.settings import Settings


def _began(events: list[dict[str, Any]]) -> datetime:
    return datetime.fromisoformat(events[0]["eventTime"].replace("Z", "+00:00")).astimezone(UTC)


async def _bare(client: Client, queue: str, shape: BareShape) -> dict[str, float]:
    began = time.perf_counter()
    handle = await start_bare(client, queue, shape)
    await handle.result()
    events = await history_events(handle)
    out = breakdown(events, (time.perf_counter() - began) * 1000)
    first = nth_activity_start(activity_spans(events), len(shape.before), _began(events))
    if first is not None:
        out["first_tool_start_ms"] = first
    return out


def _p50(rows: list[dict[str, float]], key: str) -> float | None:
    values = [r[key] for r in rows if key in r]
    return rounded(statistics.median(values), 1) if values else None


def _spread(rows: list[dict[str, float]], key: str) -> list[float | None]:
    """The 10th and 90th percentiles: how much the figure moved during the run."""
    values = [r[key] for r in rows if key in r]
    return [rounded(percentile(values, 10), 1), rounded(percentile(values, 90), 1)]


async def roundtrip_scenario(
    client: Client,
    settings: Settings,
    at: datetime,
    questions: Sequence[tuple[str, str]],
    *,
    rounds: int,
) -> dict[str, Any]:
    ops: list[dict[str, float]] = []
    bare: list[dict[str, float]] = []
    async with (
        in_process_worker(client, settings, tool_latency_ms=0) as custom,
        bare_worker(client, settings) as queue,
    ):
        shape, _ = await sample_shape(client, custom, at, questions)
        await _bare(client, queue, shape)
        progress(f"round trips: {rounds} x {len(questions)} typical questions, each then bare")
        eager_starts = 0
        for _ in range(rounds):
            for tenant, question in questions:
                e2e, _result, handle = await timed_orchestration(
                    client, custom, question=question, tenant=tenant, at=at, eager=True
                )
                eager_starts += bool(getattr(handle, "__temporal_eagerly_started", False))
                ops.append(breakdown(await history_events(handle), e2e))
                bare.append(await _bare(client, queue, shape))
    wf_tasks = _p50(ops, "wf_tasks")
    bare_wf_tasks = _p50(bare, "wf_tasks")
    return {
        "roundtrip_questions": len(ops),
        "wf_tasks_per_question": wf_tasks,
        "bare_wf_tasks_per_question": bare_wf_tasks,
        "wf_tasks_ratio": (
            rounded(wf_tasks / bare_wf_tasks, 3) if wf_tasks and bare_wf_tasks else None
        ),
        "first_tool_start_ms": _p50(ops, "first_tool_start_ms"),
        "first_tool_start_ms_p10_p90": _spread(ops, "first_tool_start_ms"),
        "bare_first_tool_start_ms": _p50(bare, "first_tool_start_ms"),
        "bare_first_tool_start_ms_p10_p90": _spread(bare, "first_tool_start_ms"),
        "question_server_ms": _p50(ops, "server_wall_ms"),
        "bare_question_server_ms": _p50(bare, "server_wall_ms"),
        "eager_workflow_starts": eager_starts,
    }
