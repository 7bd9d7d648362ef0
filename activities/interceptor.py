"""What every activity shares, in one place: error conversion, failure logs, tool metrics.

Activity bodies raise OpsFlow's ``AppError``s (or let a driver error through) and keep to
their own work; this interceptor turns each into an ``ApplicationError`` whose type is the
stable code and whose ``non_retryable`` is the error class's own flag, logs it once with
the activity's identity, and records tool calls (latency, outcome, fallbacks) in the
Prometheus metrics and the worker's stats buffer — after the tool returned, off the path
of any other activity.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from activities.errors import from_database_error, to_application_error
from activities.resources import WorkerResources
from opsflow import telemetry
from opsflow.errors import AppError
from opsflow.models import ToolCall
from opsflow.names import ToolName

log = structlog.get_logger("opsflow.activity")

# Driver and network failures: classified into retryable codes, never passed on raw.
DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, ConnectionError)
_TOOLS = frozenset(ToolName)


class OpsActivityInterceptor(Interceptor):
    """Registered on the worker (``Worker(interceptors=[...])``) with its resources."""

    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self.res)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, res: WorkerResources) -> None:
        super().__init__(next)
        self.res = res

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        call = input.args[0] if input.args and isinstance(input.args[0], ToolCall) else None
        bound = log.bind(
            activity=info.activity_type,
            attempt=info.attempt,
            workflow_id=info.workflow_id,
            tenant_id=call.tenant_id if call else None,
            step=call.step_id if call else None,
        )
        if call is not None and call.fallback_reason is not None:
            telemetry.count_fallback(call.capability, call.fallback_reason)
        started = time.monotonic()
        outcome = "ok"
        try:
            return await self.next.execute_activity(input)
        except AppError as err:
            outcome = err.code
            bound.warning("activity_failed", code=err.code, error=err.message)
            raise to_application_error(err) from err
        except DB_ERRORS as err:
            app_err = from_database_error(err)
            outcome = app_err.code
            bound.warning("activity_failed", code=app_err.code, error=str(err))
            raise to_application_error(app_err) from err
        except asyncio.CancelledError:
            outcome = "cancelled"
            bound.info("activity_cancelled")
            raise
        finally:
            if info.activity_type in _TOOLS:
                elapsed = time.monotonic() - started
                telemetry.observe_tool(info.activity_type, outcome, elapsed)
                self.res.record_tool_call(info.activity_type, elapsed * 1000, outcome == "ok")
