"""Issue 15 at the database: what the tool role may execute, what one query may cost, the
benign shapes through the real ``direct_query`` path, claim expiry and the tenant gate."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import ActivityEnvironment

from activities.claims import ClaimCache, delete_expired_claims, store_claim
from activities.direct_query import QueryTools
from activities.resources import WorkerResources
from opsflow.db.function_acl import ALLOWED_OIDS_SQL, CAST_TARGETS, allowed_function_names
from opsflow.db.pool import create_pool
from opsflow.db.session import (
    TOOL_ROLE,
    SessionLimits,
    configure_session_limits,
    session_limits,
    tenant_session,
)
from opsflow.errors import AppError, ToolTimeoutError
from opsflow.models import ToolCall, ToolOutput
from opsflow.policies import load_policies
from opsflow.settings import Settings
from opsflow.sql import ALLOWED_TABLES, validate_sql
from opsflow.sql._policy import TABLE_COLUMNS
from tests.support.tools import run_tool

pytestmark = pytest.mark.integration

CORPORA = Path(__file__).resolve().parents[2] / "corpora"
BENIGN = [line.strip() for line in (CORPORA / "sql_benign.txt").read_text().splitlines() if line]
START_TO_CLOSE_S = 5.0


@pytest.fixture(scope="module")
async def pool(settings: Settings, seeded: datetime) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings.db_dsn or "", min_size=1, max_size=4)
    yield pool
    await pool.close()


def _call(sql: str, at: datetime, row_cap: int = 1000) -> ToolCall:
    return ToolCall(
        tenant_id="t_acme",
        step_id="q",
        tool="direct_query",
        capability="database_query",
        params={"sql": sql},
        reference_time=at,
        row_cap=row_cap,
    )


def _tools(pool: asyncpg.Pool, settings: Settings) -> QueryTools:
    policies = load_policies(f'{{"direct_query": {{"start_to_close_s": {START_TO_CLOSE_S}}}}}')
    return QueryTools(WorkerResources(pool=pool, settings=settings, policies=policies))


async def test_nothing_outside_the_allowlist_is_executable_by_the_tool_role(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        executable = await conn.fetch(
            "SELECT p.oid, p.oid::regprocedure::text AS signature, p.proname"
            "  FROM pg_proc p WHERE has_function_privilege($1, p.oid, 'EXECUTE')",
            TOOL_ROLE,
        )
        allowed = {
            r["oid"]
            for r in await conn.fetch(
                ALLOWED_OIDS_SQL, sorted(allowed_function_names()), list(CAST_TARGETS)
            )
        }
        operators = {r["oprcode"] for r in await conn.fetch("SELECT oprcode::oid FROM pg_operator")}
    outside = sorted(r["signature"] for r in executable if r["oid"] not in allowed)
    assert outside == []
    names = {r["proname"] for r in executable}
    # Not vacuous: what the validator allows is executable, operators included.
    assert {"lower", "count", "date_trunc", "generate_series", "jsonb_array_length"} <= names
    assert {"opsflow_tenant", "opsflow_guard_row_bytes"} <= names
    assert operators & {r["oid"] for r in executable}
    # Each class of the red team's findings, by name.
    assert not names & {
        "current_setting", "set_config", "pg_advisory_lock", "pg_advisory_xact_lock",
        "pg_try_advisory_lock", "pg_try_advisory_xact_lock", "pg_advisory_lock_shared",
        "pg_try_advisory_xact_lock_shared", "ts_stat", "ts_rewrite", "query_to_xml",
        "query_to_json", "pg_relation_size", "pg_table_size", "pg_total_relation_size",
        "pg_database_size", "pg_stat_get_live_tuples", "pg_show_all_settings", "version",
        "pg_sleep", "pg_read_file", "dblink", "pg_column_size", "current_database",
    }  # fmt: skip


async def test_table_columns_match_the_database(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = ANY($1::text[])"
            " ORDER BY table_name, ordinal_position",
            sorted(ALLOWED_TABLES),
        )
    found: dict[str, tuple[str, ...]] = {}
    for row in rows:
        found[row["table_name"]] = (*found.get(row["table_name"], ()), row["column_name"])
    assert found == TABLE_COLUMNS


@pytest.mark.parametrize(
    "sql",
    [
        # What the validator refuses as attribute notation, run as if it had not.
        "SELECT s.current_setting FROM unnest(ARRAY['port']) AS s",
        "SELECT g.pg_try_advisory_lock FROM generate_series(42, 42) AS g",
        "SELECT to_jsonb(s.ts_stat) FROM unnest(ARRAY['SELECT to_tsvector(rolname)"
        " FROM pg_roles']) AS s",
        "SELECT pg_advisory_xact_lock(1)",
        "SELECT pg_try_advisory_lock(1, 2)",
        "SELECT pg_advisory_xact_lock_shared(3)",
        "SELECT pg_try_advisory_xact_lock_shared(1, 2)",
        "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
        "SELECT query_to_xml('SELECT * FROM tenant', true, true, '')",
        "SELECT pg_relation_size('ci')",
        "SELECT pg_stat_get_live_tuples('event'::regclass)",
        "SELECT current_setting('port')",
        "SELECT name, setting FROM pg_settings",
        "SELECT version()",
        "SELECT octet_length(current_setting('data_directory'))",
    ],
)
async def test_the_database_refuses_what_a_bypassed_validator_would_run(
    pool: asyncpg.Pool, sql: str
) -> None:
    assert not validate_sql(sql, "t_acme").valid
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_session(pool, "t_acme", statement_timeout_ms=5000) as conn:
            await conn.fetch(sql)


async def test_row_level_security_still_holds_through_opsflow_tenant(pool: asyncpg.Pool) -> None:
    async with tenant_session(pool, "t_acme", statement_timeout_ms=5000) as conn:
        tenants = {r["tenant_id"] for r in await conn.fetch("SELECT tenant_id FROM metric_sample")}
        assert tenants == {"t_acme"}
        assert await conn.fetchval("SELECT opsflow_tenant()") == "t_acme"


async def test_every_benign_query_runs_through_direct_query(
    pool: asyncpg.Pool, settings: Settings, seeded: datetime
) -> None:
    tools = _tools(pool, settings)
    env = ActivityEnvironment()
    failures = []
    for sql in BENIGN:
        try:
            out = await run_tool(tools.direct_query, _call(sql, seeded, row_cap=50), env)
        except AppError as err:
            failures.append((sql, err.code, str(err)))
            continue
        assert out.table is not None and out.row_count <= 50
    assert failures == []


async def test_arrays_of_common_types_decode_under_the_tool_role(
    pool: asyncpg.Pool, settings: Settings, seeded: datetime
) -> None:
    sql = (
        "SELECT array_agg(ts ORDER BY ts) AS stamps, array_agg(ts::date) AS days,"
        " array_agg(round(value::numeric, 1)) AS nums, array_agg(length(metric)) AS ints,"
        " array_agg(value > 0) AS flags, array_agg(jsonb_build_object('v', value)) AS docs"
        " FROM (SELECT * FROM metric_sample WHERE tenant_id = 't_acme' ORDER BY ts DESC"
        " LIMIT 50) AS m"
    )
    out = await run_tool(_tools(pool, settings).direct_query, _call(sql, seeded))
    assert out.table is not None
    [row] = out.table.rows
    stamps, days, nums, ints, flags, docs = row
    assert stamps and len(stamps) == len(days) == len(nums) == len(ints) == len(flags)
    assert isinstance(docs[0], dict) and set(docs[0]) == {"v"}


@pytest.mark.parametrize(
    ("sql", "codes"),
    [
        # Each passes the validator: the database stops it.
        (
            # Rows double each round: temporary files, then the timeout or temp_file_limit.
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r,"
            " (VALUES (1), (2)) AS v(x) WHERE r.n < 60) SELECT count(*) AS c FROM r",
            {"SQL_RESOURCE_LIMIT", "SQL_TIMEOUT"},
        ),
        (
            # A sort of 10^10 rows: temporary files, then the timeout or temp_file_limit.
            "SELECT count(DISTINCT a.g * 100000 + b.h) AS n FROM"
            " generate_series(1, 100000) AS a(g), generate_series(1, 100000) AS b(h)",
            {"SQL_RESOURCE_LIMIT", "SQL_TIMEOUT"},
        ),
        (
            "SELECT count(*) AS n FROM generate_series(1, 100000) AS a(g),"
            " generate_series(1, 100000) AS b(h) WHERE a.g % 7 = b.h % 11",
            {"SQL_TIMEOUT"},
        ),
        (
            "SELECT "
            + ", ".join(f"lpad(name, 10000, '{c}') AS c{c}" for c in "abcdefg")
            + " FROM ci WHERE tenant_id = 't_acme'",
            {"SQL_RESOURCE_LIMIT"},
        ),
    ],
)
async def test_resource_cases_stop_within_the_statement_timeout_and_are_final(
    pool: asyncpg.Pool, settings: Settings, seeded: datetime, sql: str, codes: set[str]
) -> None:
    assert validate_sql(sql, "t_acme").valid
    began = time.monotonic()
    with pytest.raises(AppError) as raised:
        await run_tool(_tools(pool, settings).direct_query, _call(sql, seeded))
    elapsed = time.monotonic() - began
    assert raised.value.code in codes, str(raised.value)
    assert not raised.value.retryable
    assert elapsed < START_TO_CLOSE_S


async def test_temporary_files_are_limited_for_the_tool_role(
    pool: asyncpg.Pool, settings: Settings, seeded: datetime
) -> None:
    sql = (
        "SELECT count(*) AS n FROM (SELECT a.g * 100000 + b.h AS k FROM"
        " generate_series(1, 100000) AS a(g), generate_series(1, 100000) AS b(h)"
        " ORDER BY 1 OFFSET 1) AS s"
    )
    before = session_limits()
    configure_session_limits(SessionLimits(temp_file_limit_kb=1024))
    try:
        with pytest.raises(AppError) as raised:
            await run_tool(_tools(pool, settings).direct_query, _call(sql, seeded))
    finally:
        configure_session_limits(before)
    assert raised.value.code == "SQL_RESOURCE_LIMIT", str(raised.value)
    assert "temp_file_limit" in str(raised.value)
    assert not raised.value.retryable


async def test_result_bytes_are_capped_and_the_result_marked_truncated(
    pool: asyncpg.Pool, settings: Settings, seeded: datetime
) -> None:
    sql = (
        "SELECT lpad(m.metric, 9000, 'x') AS a, lpad(m.ci_id, 9000, 'y') AS b"
        " FROM metric_sample m WHERE m.tenant_id = 't_acme'"
    )
    out = await run_tool(_tools(pool, settings).direct_query, _call(sql, seeded))
    assert out.table is not None and out.truncated
    assert str(settings.sql_result_bytes) in out.note
    sent = sum(len(cell) for row in out.table.rows for cell in row)
    assert 0 < sent <= settings.sql_result_bytes
    assert out.row_count < 1000


async def test_claims_expire_after_the_retention(pool: asyncpg.Pool) -> None:
    cache = ClaimCache()
    old = await store_claim(pool, cache, "t_acme", ToolOutput(tool="direct_query", step_id="old"))
    fresh = await store_claim(pool, cache, "t_acme", ToolOutput(tool="direct_query", step_id="new"))
    async with pool.acquire() as owner:
        await owner.execute(
            "UPDATE tool_result_claim SET created_at = now() - interval '2 days' WHERE id = $1",
            uuid.UUID(old),
        )
    assert await delete_expired_claims(pool, retention_s=24 * 3600) >= 1
    async with pool.acquire() as owner:
        left = {
            str(r["id"])
            for r in await owner.fetch(
                "SELECT id FROM tool_result_claim WHERE id = ANY($1::uuid[])",
                [uuid.UUID(old), uuid.UUID(fresh)],
            )
        }
    assert left == {fresh}


async def test_one_tenant_cannot_hold_more_than_its_share_of_the_pool(
    pool: asyncpg.Pool,
) -> None:
    before = session_limits()
    configure_session_limits(SessionLimits(per_tenant=2))
    inside: dict[str, int] = {"t_acme": 0, "t_globex": 0}
    peak: dict[str, int] = {"t_acme": 0, "t_globex": 0}
    release = asyncio.Event()

    async def hold(tenant: str) -> None:
        async with tenant_session(pool, tenant, statement_timeout_ms=5000):
            inside[tenant] += 1
            peak[tenant] = max(peak[tenant], inside[tenant])
            await release.wait()
            inside[tenant] -= 1

    try:
        attackers = [asyncio.create_task(hold("t_acme")) for _ in range(6)]
        await asyncio.sleep(0.3)
        # The pool has 4 connections, the attacker holds 2: another tenant still gets in.
        other = asyncio.create_task(hold("t_globex"))
        for _ in range(50):
            if inside["t_globex"]:
                break
            await asyncio.sleep(0.05)
        assert inside["t_globex"] == 1
        assert peak["t_acme"] == 2
        release.set()
        await asyncio.gather(*attackers, other)
    finally:
        release.set()
        configure_session_limits(before)


async def test_the_wait_for_a_session_comes_off_the_statement_timeout(pool: asyncpg.Pool) -> None:
    with pytest.raises(ToolTimeoutError):
        async with tenant_session(
            pool, "t_acme", statement_timeout_ms=5000, deadline=time.monotonic() + 0.1
        ):
            pytest.fail("a session with no time left must not open")
    async with tenant_session(
        pool, "t_acme", statement_timeout_ms=5000, deadline=time.monotonic() + 2.0
    ) as conn:
        shown = await conn.fetchval("SHOW statement_timeout")
        assert await conn.fetchval("SELECT current_user") == TOOL_ROLE
    # Under two seconds left: the timeout was cut to what remained.
    assert shown.endswith("ms") and int(shown[:-2]) <= 2000
