"""``direct_query``: LLM-written SQL, validated before any connection is taken.

Order matters and is the point of this module: validate (pure, no I/O) -> raise a
non-retryable ``SqlBlocked`` with the violations -> only then acquire a pooled
connection, inside a read-only tenant session under the non-owner role, through
``fetch()`` (one statement, extended protocol), always rolled back.

What one query may cost is bounded three ways besides the validator's literal bounds:
- rows and bytes: the validated SQL runs wrapped so that the database refuses any row
  over ``OPSFLOW_SQL_ROW_BYTES`` (as text) before sending it, and the worker stops
  reading once ``OPSFLOW_SQL_RESULT_BYTES`` have arrived (the result is then truncated);
- time: the statement timeout is shorter than the activity's start-to-close (less the
  time spent waiting for a session), so the database cancels first, and a cancelled
  statement is a non-retryable ``SQL_TIMEOUT``
  (the same text would time out again, costing another tenant's share each retry);
- temporary files and memory: ``SessionLimits`` of the tenant session; hitting one is a
  non-retryable ``SQL_RESOURCE_LIMIT``.
"""

from __future__ import annotations

import time
from typing import Any, Final

import asyncpg

from activities.heartbeat import Heartbeater
from activities.lookup import jsonable, params_of
from activities.resources import WorkerResources
from activities.tooling import tool_activity
from opsflow import telemetry
from opsflow.db.session import sql_slot, tenant_session
from opsflow.errors import (
    QueryResourceError,
    QueryTimeoutError,
    SqlBlocked,
)
from opsflow.models import TableData, ToolCall, ToolOutput
from opsflow.names import ToolName
from opsflow.params import DatabaseQueryParams

# The database cancels at this share of start_to_close: the rest is for the pool wait,
# the rollback and reporting a clean, non-retryable error before Temporal's timeout.
STATEMENT_TIMEOUT_SHARE: Final = 0.8
_FETCH_BATCH: Final = 100
# Resource errors a retry cannot fix: temp_file_limit (53400), out of memory (53200),
# disk full (53100), program limits such as the row guard or a 1 GB value (54000).
_RESOURCE_ERRORS: Final = (
    asyncpg.ConfigurationLimitExceededError,
    asyncpg.OutOfMemoryError,
    asyncpg.DiskFullError,
    asyncpg.ProgramLimitExceededError,
)


def guarded(safe_sql: str) -> str:
    """`safe_sql` wrapped to report each row's size and refuse rows over the cap ($1).

    The validated text is kept whole as a subquery (its LIMIT and ORDER BY apply inside);
    the first column of each result row is its size in bytes as text.
    """
    return (
        "SELECT opsflow_row.bytes, opsflow_q.* FROM ("
        + safe_sql
        + ") AS opsflow_q CROSS JOIN LATERAL (SELECT octet_length(opsflow_q::text) AS bytes)"
        " AS opsflow_row WHERE opsflow_guard_row_bytes(opsflow_row.bytes, $1)"
    )


class QueryTools:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @tool_activity(ToolName.DIRECT_QUERY)
    async def direct_query(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        # Imported here: the CLI imports this module (the workflow's method references) and
        # never validates SQL; the worker loads sqlglot at start (worker.py).
        from opsflow.sql import validate_sql

        sql = params_of(DatabaseQueryParams, call).sql
        verdict = validate_sql(sql, call.tenant_id, row_cap=call.row_cap)
        if not verdict.valid or verdict.safe_sql is None:
            codes = sorted({v.code for v in verdict.violations})
            telemetry.count_sql_blocked(codes)
            raise SqlBlocked(
                "SQL blocked: " + "; ".join(f"{v.code}: {v.message}" for v in verdict.violations),
                details=[v.model_dump() for v in verdict.violations],
            )
        settings = self.res.settings
        start_to_close_s = self.res.policy(ToolName.DIRECT_QUERY).start_to_close_s
        budget_ms = max(1000, int(start_to_close_s * 1000 * STATEMENT_TIMEOUT_SHARE))
        began = time.monotonic()
        columns: list[str] = []
        rows: list[list[Any]] = []
        received = 0
        cut = False
        try:
            # Time spent waiting for the tenant's gates and a connection comes off the
            # statement's budget (deadline), so the database still cancels before
            # Temporal's start-to-close would (retryable: the SQL would run again).
            async with (
                sql_slot(call.tenant_id),
                tenant_session(
                    self.res.pool,
                    call.tenant_id,
                    statement_timeout_ms=budget_ms,
                    deadline=began + budget_ms / 1000,
                ) as conn,
            ):
                hb.progress({"phase": "query"})
                cursor = conn.cursor(
                    guarded(verdict.safe_sql), settings.sql_row_bytes, prefetch=_FETCH_BATCH
                )
                async for record in cursor:
                    if not columns:
                        columns = list(record.keys())[1:]
                    values = list(record.values())
                    received += int(values[0])
                    if received > settings.sql_result_bytes or len(rows) >= call.row_cap:
                        cut = True
                        break
                    rows.append([jsonable(v) for v in values[1:]])
        except asyncpg.QueryCanceledError as err:
            raise QueryTimeoutError(
                f"the query ran out of its statement timeout (at most {budget_ms} ms): {err}"
            ) from err
        except _RESOURCE_ERRORS as err:
            raise QueryResourceError(f"the query exceeded a resource limit: {err}") from err
        note = ""
        if cut and received > settings.sql_result_bytes:
            note = f"result cut at {settings.sql_result_bytes} bytes"
        return ToolOutput(
            tool=ToolName.DIRECT_QUERY,
            step_id=call.step_id,
            table=TableData(columns=columns, rows=rows),
            row_count=len(rows),
            truncated=cut or len(rows) >= call.row_cap,
            note=note,
        )
