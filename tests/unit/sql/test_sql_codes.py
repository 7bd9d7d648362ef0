"""One focused example per violation code, and the shape of violations in general."""

from __future__ import annotations

import logging

import pytest

from opsflow.sql import (
    ALL_CODES,
    ALLOWED_TABLES,
    SQL_CATALOG,
    SQL_COLUMN,
    SQL_COMMAND,
    SQL_DCL,
    SQL_DDL,
    SQL_FUNCTION,
    SQL_LOCK,
    SQL_MULTI_STATEMENT,
    SQL_NODE,
    SQL_NOT_SELECT,
    SQL_PARSE,
    SQL_SCHEMA,
    SQL_SIZE,
    SQL_TABLE,
    SQL_TENANT,
    SQL_TOO_LARGE,
    SQL_WRITE,
    TENANT_TABLES,
    Violation,
    validate_sql,
)
from opsflow.sql._parse import parse

OK = "SELECT name FROM ci WHERE tenant_id = 't_acme'"

EXAMPLES: list[tuple[str, str, str]] = [
    (SQL_TOO_LARGE, f"{OK} AND name = '{'x' * 17_000}'", "characters"),
    (SQL_TOO_LARGE, "SELECT " + "(" * 65 + "1" + ")" * 65, "64 levels"),
    (SQL_PARSE, "SELECT FROM WHERE (", "could not be parsed"),
    (SQL_PARSE, "   ", "no SQL statement"),
    (SQL_PARSE, "-- only a comment", "no SQL statement"),
    (SQL_MULTI_STATEMENT, f"{OK}; {OK}", "2 statements"),
    (SQL_NOT_SELECT, "BEGIN", "transaction control"),
    (SQL_NOT_SELECT, "LISTEN alerts", "not a SELECT query"),
    (SQL_NOT_SELECT, "COPY ci TO '/tmp/x'", "COPY"),
    (SQL_NOT_SELECT, "'t_globex' UNION SELECT 1", "each side of UNION"),
    (SQL_COMMAND, "VACUUM ci", "VACUUM statements"),
    (SQL_COMMAND, "DO $$ BEGIN END $$", "DO statements"),
    (SQL_WRITE, "DELETE FROM ci WHERE tenant_id = 't_acme'", "DELETE"),
    (SQL_WRITE, f"WITH gone AS (DELETE FROM ci RETURNING id) {OK}", "DELETE"),
    (SQL_WRITE, "SELECT name INTO loot FROM ci WHERE tenant_id = 't_acme'", "SELECT INTO"),
    (SQL_DDL, "DROP TABLE ci", "DROP"),
    (SQL_DDL, "ALTER TABLE ci DISABLE ROW LEVEL SECURITY", "ALTER"),
    (SQL_DCL, "GRANT SELECT ON ci TO PUBLIC", "GRANT"),
    (SQL_LOCK, f"{OK} FOR UPDATE", "locking"),
    (SQL_NODE, f"{OK} AND id = $1", "parameters"),
    (SQL_NODE, f"{OK} AND name = 'x'::regclass", "object identifier"),
    (SQL_NODE, f"{OK} AND name = 'x'::xml", "type XML"),
    (SQL_FUNCTION, "SELECT pg_sleep(1)", "function pg_sleep is not allowed"),
    (SQL_FUNCTION, "SELECT * FROM pg_ls_dir('/') AS f", "function pg_ls_dir"),
    (SQL_FUNCTION, "SELECT version()", "function version is not allowed"),
    (SQL_FUNCTION, "SELECT * FROM lower('x') AS l", "cannot be used as a table"),
    (SQL_CATALOG, "SELECT * FROM pg_catalog.pg_class", "pg_catalog.pg_class"),
    (SQL_CATALOG, "SELECT * FROM pg_stat_activity", "pg_stat_activity"),
    (SQL_SCHEMA, "SELECT * FROM audit.ci WHERE tenant_id = 't_acme'", "schema audit"),
    (SQL_TABLE, "SELECT * FROM seed_incident WHERE tenant_id = 't_acme'", "seed_incident"),
    (SQL_TABLE, "SELECT * FROM users", "unknown table 'users'"),
    (SQL_TABLE, "WITH event AS (SELECT 1) SELECT * FROM event", "shadows a table"),
    (SQL_TENANT, "SELECT name FROM ci", "ci.tenant_id = 't_acme'"),
    (SQL_TENANT, "SELECT name FROM ci WHERE tenant_id = 't_globex'", "'t_globex'"),
    (SQL_COLUMN, "SELECT g.current_setting FROM unnest(ARRAY['port']) AS g", "attribute notation"),
    (SQL_COLUMN, f"{OK} AND ctid > '(0,1)'", "system column ctid"),
    (SQL_COLUMN, "SELECT user FROM ci WHERE tenant_id = 't_acme'", "keyword"),
    (SQL_COLUMN, "SELECT nme FROM ci WHERE tenant_id = 't_acme'", "column 'nme' does not exist"),
    (SQL_SIZE, f"{OK} AND name = lpad('x', 10000000, 'y')", "literal length"),
    (SQL_SIZE, "SELECT count(*) FROM generate_series(1, 10000000000) AS g", "rows"),
]


def test_every_code_has_an_example() -> None:
    assert {code for code, _, _ in EXAMPLES} == ALL_CODES


@pytest.mark.parametrize(("code", "sql", "phrase"), EXAMPLES)
def test_violation_code_and_message(code: str, sql: str, phrase: str) -> None:
    verdict = validate_sql(sql, "t_acme")
    assert not verdict.valid
    assert verdict.safe_sql is None
    matching = [v for v in verdict.violations if v.code == code]
    assert matching, verdict.violations
    assert any(phrase in v.message for v in matching), matching


def test_violations_are_deduplicated() -> None:
    sql = "SELECT pg_sleep(1), pg_sleep(1), pg_sleep(2)"
    assert validate_sql(sql, "t_acme").violations == [
        Violation(code=SQL_FUNCTION, message="function pg_sleep is not allowed")
    ]


def test_every_problem_is_reported_not_just_the_first() -> None:
    sql = "SELECT pg_sleep(1) FROM pg_stat_activity, event"
    codes = {v.code for v in validate_sql(sql, "t_acme").violations}
    assert codes == {SQL_FUNCTION, SQL_CATALOG, SQL_TENANT}


def test_verdict_echoes_the_input() -> None:
    sql = f"  {OK} ;  "
    verdict = validate_sql(sql, "t_acme")
    assert verdict.sql == sql
    assert verdict.valid


def test_trailing_semicolon_is_one_statement() -> None:
    assert validate_sql(f"{OK};", "t_acme").valid


def test_readable_tables_are_all_tenant_scoped() -> None:
    assert ALLOWED_TABLES <= TENANT_TABLES
    assert "tenant" in TENANT_TABLES
    assert "tenant" not in ALLOWED_TABLES
    assert {"tool_result_claim", "tool_stats", "seed_incident", "topology_snapshot"}.isdisjoint(
        ALLOWED_TABLES
    )


@pytest.mark.parametrize("tenant", ["", "T_ACME", "t_acme'; --", "x"])
def test_malformed_tenant_is_a_caller_error(tenant: str) -> None:
    with pytest.raises(ValueError, match="tenant id"):
        validate_sql(OK, tenant)


def test_parse_collects_sqlglot_warnings() -> None:
    # sqlglot announces its Command fallback only through the `sqlglot` logger.
    parsed = parse("VACUUM ci")
    assert any("Command" in warning for warning in parsed.warnings)
    assert parse(OK).warnings == []


def test_command_detection_does_not_depend_on_logging() -> None:
    # An application may silence sqlglot; the Command node is still found and refused.
    logger = logging.getLogger("sqlglot")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        verdict = validate_sql("VACUUM ci", "t_acme")
    finally:
        logger.setLevel(previous)
    assert [v.code for v in verdict.violations] == [SQL_COMMAND]


def test_command_inside_nothing_else_is_reported_once() -> None:
    verdict = validate_sql("EXPLAIN ANALYZE SELECT 1", "t_acme")
    assert [v.code for v in verdict.violations] == [SQL_COMMAND]
