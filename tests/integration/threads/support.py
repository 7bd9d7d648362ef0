"""Threads on the session stack: start one on a worker's queue, ask, read its history."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client, WorkflowHandle

from opsflow.models import OrchestrationResult
from opsflow.models.thread import FollowUp, ThreadLimits
from opsflow.settings import Settings
from opsflow_app.client.threads import UPDATE_ASK, start_thread

TENANT = "t_acme"
TURN_TIMEOUT_S = 120


async def new_thread(client: Client, settings: Settings, **limits: Any) -> WorkflowHandle[Any, Any]:
    return await start_thread(client, TENANT, settings, ThreadLimits(**limits))


async def ask_turn(
    handle: WorkflowHandle[Any, Any], question: str, **fields: Any
) -> OrchestrationResult:
    fields.setdefault("tenant_id", TENANT)
    # By name: mypy cannot match an async update method against an untyped handle.
    update = handle.execute_update(
        UPDATE_ASK, FollowUp(question=question, **fields), result_type=OrchestrationResult
    )
    return await asyncio.wait_for(update, TURN_TIMEOUT_S)
