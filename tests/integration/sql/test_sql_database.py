"""The validator against the real database: benign queries run, the database refuses on
its own what the validator refuses (defense in depth), and the verdicts agree with RLS."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from opsflow.db.pool import create_pool
from opsflow.db.session import tenant_session
from opsflow.settings import Settings
from opsflow.sql import validate_sql

pytestmark = pytest.mark.integration

CORPORA = Path(__file__).resolve().parents[2] / "corpora"
BENIGN = [
    line.strip() for line in (CORPORA / "sql_benign.txt").read_text().splitlines() if line.strip()
]


@pytest.fixture(scope="module")
async def pool(settings: Settings, seeded: datetime):  # type: ignore[no-untyped-def]
    pool = await create_pool(settings.db_dsn or "", min_size=1, max_size=4)
    yield pool
    await pool.close()


async def test_every_benign_query_runs_under_the_tenant_session(pool: asyncpg.Pool) -> None:
    failures = []
    async with pool.acquire() as probe:
        assert await probe.fetchval("SELECT count(*) FROM ci WHERE tenant_id = 't_acme'") > 0
    for sql in BENIGN:
        verdict = validate_sql(sql, "t_acme", row_cap=100)
        assert verdict.valid and verdict.safe_sql, (sql, verdict.violations)
        try:
            async with tenant_session(pool, "t_acme", statement_timeout_ms=10_000) as conn:
                rows = await conn.fetch(verdict.safe_sql)
        except asyncpg.PostgresError as err:
            failures.append((sql, str(err)))
            continue
        assert len(rows) <= 100
    assert not failures, failures


async def test_database_refuses_what_a_bypassed_validator_would_let_through(
    pool: asyncpg.Pool,
) -> None:
    async with tenant_session(pool, "t_acme", statement_timeout_ms=5000) as conn:
        # No tenant filter at all: RLS still returns only t_acme's rows.
        tenants = {r["tenant_id"] for r in await conn.fetch("SELECT tenant_id FROM ci")}
        assert tenants == {"t_acme"}
        foreign = await conn.fetch("SELECT * FROM event WHERE tenant_id = 't_globex'")
        assert foreign == []
    for statement, error in [
        (
            "INSERT INTO ci (tenant_id, id, name, ci_type) VALUES ('t_acme','x','x','service')",
            asyncpg.ReadOnlySQLTransactionError,
        ),
        (
            "SELECT set_config('app.tenant_id', 't_globex', true)",
            asyncpg.InsufficientPrivilegeError,
        ),
        ("SELECT pg_sleep(0.1)", asyncpg.InsufficientPrivilegeError),
        ("SELECT pg_read_file('/etc/passwd')", asyncpg.InsufficientPrivilegeError),
        ("SELECT * FROM seed_incident", asyncpg.InsufficientPrivilegeError),
        ("SELECT * FROM tool_stats", asyncpg.InsufficientPrivilegeError),
    ]:
        with pytest.raises(error):
            async with tenant_session(pool, "t_acme", statement_timeout_ms=5000) as conn:
                await conn.fetch(statement)
    # A write is refused even outside a read-only transaction: the tool role may not write.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_session(
            pool, "t_acme", statement_timeout_ms=5000, readonly=False
        ) as conn:
            await conn.fetch("DELETE FROM ci WHERE tenant_id = 't_acme'")


TABLES = ["ci", "event", "metric_sample", "ci_relation", "metric_rollup"]
FILTERS = {
    "own": "{a}.tenant_id = 't_acme'",
    "other": "{a}.tenant_id = 't_globex'",
    "none": "1 = 1",
    "own_or_true": "({a}.tenant_id = 't_acme' OR 1 = 1)",
    "own_and_extra": "{a}.tenant_id = 't_acme' AND 1 = 1",
    "own_or_other": "({a}.tenant_id = 't_acme' OR {a}.tenant_id = 't_globex')",
}


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(TABLES),
    outer=st.sampled_from(sorted(FILTERS)),
    union_with=st.one_of(
        st.none(), st.tuples(st.sampled_from(TABLES), st.sampled_from(sorted(FILTERS)))
    ),
)
async def test_validator_verdict_agrees_with_row_level_security(
    pool: asyncpg.Pool, table: str, outer: str, union_with: tuple[str, str] | None
) -> None:
    """A query the validator accepts returns, run as the owner with RLS bypassed, exactly
    what RLS returns: the validator alone keeps the tenant boundary."""
    sql = f"SELECT a.tenant_id FROM {table} a WHERE {FILTERS[outer].format(a='a')}"
    if union_with is not None:
        other_table, other_filter = union_with
        sql += (
            f" UNION ALL SELECT b.tenant_id FROM {other_table} b"
            f" WHERE {FILTERS[other_filter].format(a='b')}"
        )
    verdict = validate_sql(sql, "t_acme", row_cap=50)
    filters = [outer] + ([union_with[1]] if union_with else [])
    expected_valid = all(f in ("own", "own_and_extra") for f in filters)
    assert verdict.valid is expected_valid, (sql, verdict.violations)
    if not verdict.valid:
        assert {v.code for v in verdict.violations} & {"SQL_TENANT"}
        return
    assert verdict.safe_sql is not None
    async with pool.acquire() as owner:
        unrestricted = {r["tenant_id"] for r in await owner.fetch(verdict.safe_sql)}
    async with tenant_session(pool, "t_acme", statement_timeout_ms=5000) as conn:
        restricted = {r["tenant_id"] for r in await conn.fetch(verdict.safe_sql)}
    assert unrestricted <= {"t_acme"}
    assert unrestricted == restricted
