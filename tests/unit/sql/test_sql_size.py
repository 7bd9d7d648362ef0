"""Hostile sizes and depths are refused quickly and never raise."""

from __future__ import annotations

import pytest

from opsflow.sql import MAX_NESTING, MAX_SQL_CHARS, SQL_PARSE, SQL_TOO_LARGE, validate_sql

OK = "SELECT name FROM ci WHERE tenant_id = 't_acme'"


def _padded(length: int) -> str:
    filler = length - len(OK) - len(" AND name = ''")
    return f"{OK} AND name = '{'x' * filler}'"


def test_exactly_the_size_limit_is_accepted() -> None:
    sql = _padded(MAX_SQL_CHARS)
    assert len(sql) == MAX_SQL_CHARS
    assert validate_sql(sql, "t_acme").valid


def test_one_character_over_the_limit_is_refused_before_parsing() -> None:
    sql = _padded(MAX_SQL_CHARS + 1)
    verdict = validate_sql(sql, "t_acme")
    assert [v.code for v in verdict.violations] == [SQL_TOO_LARGE]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1, " * 10_000,
        "x" * 1_000_000,
        "SELECT " + "(" * 100 + "1" + ")" * 100,
        "SELECT " + "(" * 20_000,
        "SELECT " + "[" * 100 + "1" + "]" * 100,
        f"SELECT * FROM ci WHERE tenant_id = 't_acme' AND id IN {'(' * 65}'a'{')' * 65}",
        "SELECT " + "NOT " * 4_000 + "true",
        "SELECT " + "- " * 8_000 + "1",
        "SELECT x" + "::int" * 3_000,
        "SELECT " + "CASE WHEN true THEN " * 700 + "1" + " END" * 700,
        "SELECT " + " + ".join(["1"] * 4_000),
        f"{OK} AND " + " AND ".join(["name = 'a'"] * 1_200),
        "SELECT 1 " + "UNION ALL SELECT 1 " * 800,
        "SELECT " + "a." * 5_000 + "b",
    ],
    ids=[
        "many-statements-text",
        "one-megabyte",
        "parens-100",
        "unclosed-parens",
        "brackets-100",
        "parens-65-in-in-list",
        "not-chain",
        "minus-chain",
        "cast-chain",
        "case-nesting",
        "addition-chain",
        "and-chain",
        "union-chain",
        "dotted-chain",
    ],
)
def test_oversized_or_deep_input_is_refused_without_raising(sql: str) -> None:
    # Its cost is measured in bench/ (validator_us_*); pytest-timeout catches a blow-up.
    verdict = validate_sql(sql[: MAX_SQL_CHARS + 10], "t_acme")
    assert not verdict.valid
    assert {v.code for v in verdict.violations} & {SQL_TOO_LARGE, SQL_PARSE}


def test_brackets_inside_quotes_and_comments_do_not_count() -> None:
    deep = "(" * (MAX_NESTING + 10)
    sql = (
        f"SELECT name FROM ci WHERE tenant_id = 't_acme' AND name <> '{deep}' "
        f"AND name <> $${deep}$$ AND name <> E'\\'{deep}' /* {deep} */ -- {deep}"
    )
    codes = {v.code for v in validate_sql(sql, "t_acme").violations}
    # Dollar and E'' strings are refused for their own reason, not for depth.
    assert SQL_TOO_LARGE not in codes


def test_nesting_at_the_limit_is_not_too_large() -> None:
    sql = f"{OK} AND length(name) > " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    assert validate_sql(sql, "t_acme").valid
