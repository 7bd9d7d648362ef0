"""``GET /v1/questions/{id}/events``: ``progress`` events as steps change, then exactly one
``result`` (or ``error``) event, then the stream ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

from sse_starlette import ServerSentEvent
from temporalio.client import WorkflowHandle

from opsflow.models import OrchestrationResult, Progress
from opsflow_app.api.errors import ApiError
from opsflow_app.api.service import Questions

POLL_S = 0.5
FINAL_PHASE = "done"


class EventKind(StrEnum):
    PROGRESS = "progress"
    RESULT = "result"
    ERROR = "error"


async def question_events(
    questions: Questions, handle: WorkflowHandle[Any, OrchestrationResult], *, running: bool
) -> AsyncIterator[ServerSentEvent]:
    """``running``: as described when the stream opened. A closed run is not polled: its
    query could only fail (no worker replays it) and read as "queued"."""
    result_task = asyncio.create_task(questions.result(handle))
    last = ""
    try:
        while running and not result_task.done():
            snapshot = (await questions.progress(handle)).model_dump_json()
            if snapshot != last:
                last = snapshot
                yield ServerSentEvent(snapshot, event=EventKind.PROGRESS)
            await asyncio.wait({result_task}, timeout=POLL_S)
        try:
            result = await result_task
        except ApiError as err:
            yield ServerSentEvent(
                json.dumps({"error": err.code, "message": err.message}), event=EventKind.ERROR
            )
            return
        # The steps' final states close the progress (also for a run that had already
        # finished when the stream opened, so every stream shows its steps).
        final = Progress(phase=FINAL_PHASE, steps=result.steps, planner=result.planner)
        yield ServerSentEvent(final.model_dump_json(), event=EventKind.PROGRESS)
        yield ServerSentEvent(result.model_dump_json(), event=EventKind.RESULT)
    finally:
        # The client went away (or we are done): stop waiting on the result.
        result_task.cancel()
