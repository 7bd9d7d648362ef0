"""The stall rule of progress heartbeats: queueing is not a stall, a silent scan is."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.heartbeat import Heartbeater


async def _beats_during(body: Any) -> list[Any]:
    beats: list[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    await env.run(body)
    return beats


async def test_waiting_before_the_first_progress_keeps_heartbeating() -> None:
    async def wait_for_a_connection() -> None:
        async with Heartbeater(interval_s=0.02, stall_s=0.05):
            await asyncio.sleep(0.5)

    beats = await _beats_during(wait_for_a_connection)
    # Well past the stall time and still alive: the loop keeps beating.
    assert len(beats) >= 5


async def test_a_scan_without_progress_stops_heartbeating() -> None:
    marks: dict[str, int] = {}

    async def stalled_scan() -> None:
        async with Heartbeater(interval_s=0.02, stall_s=0.5) as hb:
            hb.progress({"cis_done": 0})
            await asyncio.sleep(0.8)  # past the stall window
            marks["stalled"] = len(beats)
            await asyncio.sleep(0.3)
            marks["end"] = len(beats)

    beats: list[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    await env.run(stalled_scan)
    # Beats while the progress report was fresh (no beat on entry: the loop's own), then
    # silence once it is older than the stall window.
    assert marks["stalled"] >= 1
    assert marks["end"] == marks["stalled"]


async def test_disarm_returns_to_liveness_only() -> None:
    async def queue_again() -> None:
        async with Heartbeater(interval_s=0.02, stall_s=0.05) as hb:
            hb.progress({"phase": "injected_latency"})
            hb.disarm()
            await asyncio.sleep(0.5)

    assert len(await _beats_during(queue_again)) >= 5
