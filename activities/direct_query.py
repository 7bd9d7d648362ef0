"""``direct_query``: LLM-written SQL, validated before any connection is taken.

Order matters and is the point of this module: validate (pure, no I/O) -> raise a
non-retryable ``SqlBlocked`` with the violations -> only then acquire a pooled
connection, inside a read-only tenant session under the non-owner role, through
``fetch()`` (one statement, extended protocol), always rolled back.
"""

from __future__ import annotations

from activities.heartbeat import Heartbeater
from activities.lookup import jsonable, params_of
from activities.resources import WorkerResources
from activities.tooling import tool_activity
from opsflow import telemetry
from opsflow.db.session import tenant_session
from opsflow.errors import SqlBlocked
from opsflow.models import TableData, ToolCall, ToolOutput
from opsflow.names import ToolName
from opsflow.params import DatabaseQueryParams


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
        timeout_ms = int(self.res.policy(ToolName.DIRECT_QUERY).start_to_close_s * 1000)
        async with tenant_session(
            self.res.pool, call.tenant_id, statement_timeout_ms=timeout_ms
        ) as conn:
            hb.progress({"phase": "query"})
            records = await conn.fetch(verdict.safe_sql)
        columns = list(records[0].keys()) if records else []
        rows = [[jsonable(v) for v in r.values()] for r in records[: call.row_cap]]
        return ToolOutput(
            tool=ToolName.DIRECT_QUERY,
            step_id=call.step_id,
            table=TableData(columns=columns, rows=rows),
            row_count=len(rows),
            truncated=len(records) >= call.row_cap,
        )
