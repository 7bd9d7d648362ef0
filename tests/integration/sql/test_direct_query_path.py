"""``direct_query`` validates before it touches the pool, and only then runs the SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.direct_query import QueryTools
from activities.errors import to_application_error
from activities.resources import WorkerResources
from opsflow.db.pool import create_pool
from opsflow.errors import SqlBlocked
from opsflow.models import ToolCall
from opsflow.policies import load_policies
from opsflow.settings import Settings
from tests.support.tools import run_tool

pytestmark = pytest.mark.integration


class CountingPool:
    """The real pool, with a count of every acquire() the code under test makes."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.acquired = 0

    def acquire(self) -> Any:
        self.acquired += 1
        return self.pool.acquire()


def _call(sql: str, at: datetime) -> ToolCall:
    return ToolCall(
        tenant_id="t_acme",
        step_id="q",
        tool="direct_query",
        capability="database_query",
        params={"sql": sql},
        reference_time=at,
        row_cap=100,
    )


async def test_blocked_sql_never_acquires_a_connection(
    settings: Settings, seeded: datetime
) -> None:
    real = await create_pool(settings.db_dsn or "", min_size=1, max_size=2)
    try:
        pool = CountingPool(real)
        res = WorkerResources(pool=pool, settings=settings, policies=load_policies())  # type: ignore[arg-type]
        tools = QueryTools(res)
        env = ActivityEnvironment()
        for attack in [
            "SELECT * FROM ci; DROP TABLE ci",
            "SELECT * FROM ci WHERE tenant_id = 't_globex'",
            "SELECT pg_sleep(10)",
            "COPY ci TO '/tmp/x'",
        ]:
            # The body raises the domain error; the worker's interceptor makes it an
            # ApplicationError (tests/workflow covers that conversion).
            with pytest.raises(SqlBlocked) as raised:
                await env.run(tools.direct_query, _call(attack, seeded))
            converted = to_application_error(raised.value)
            assert converted.type == "SQL_BLOCKED"
            assert converted.non_retryable
            assert converted.details and converted.details[0]
        assert pool.acquired == 0
        ok = await run_tool(
            tools.direct_query,
            _call("SELECT name FROM ci WHERE tenant_id = 't_acme' ORDER BY name", seeded),
            env,
        )
        assert pool.acquired == 1
        assert ok.table is not None and 0 < len(ok.table.rows) <= 100
    finally:
        await real.close()
