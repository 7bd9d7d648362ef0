"""Every attack in the corpus is blocked; every benign analytical query passes with a LIMIT."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

from opsflow.sql import ALL_CODES, validate_sql
from tests.unit.sql.sql_corpus import TENANT, read_lines

ROW_CAP = 1000
ATTACKS = read_lines("sql_attacks.txt")
BENIGN = read_lines("sql_benign.txt")
EXPECTED = [
    tuple(line.split("\t", 1))
    for line in read_lines("sql_attacks_expected.tsv")
    if not line.startswith("#")
]


def test_corpus_sizes() -> None:
    assert len(ATTACKS) >= 90
    assert len(BENIGN) >= 45
    assert len(set(ATTACKS)) == len(ATTACKS), "duplicate attack lines"


@pytest.mark.parametrize("sql", ATTACKS)
def test_attack_is_blocked(sql: str) -> None:
    verdict = validate_sql(sql, TENANT)
    assert not verdict.valid
    assert verdict.safe_sql is None
    assert verdict.violations
    for violation in verdict.violations:
        assert violation.code in ALL_CODES
        assert violation.message and "\n" not in violation.message


@pytest.mark.parametrize(("code", "sql"), EXPECTED)
def test_attack_has_expected_code(code: str, sql: str) -> None:
    assert sql in ATTACKS, "expected-codes file names a line that is not in the corpus"
    codes = {violation.code for violation in validate_sql(sql, TENANT).violations}
    assert code in codes


@pytest.mark.parametrize("sql", BENIGN)
def test_benign_query_passes_with_a_row_cap(sql: str) -> None:
    verdict = validate_sql(sql, TENANT, row_cap=ROW_CAP)
    assert verdict.valid, verdict.violations
    assert verdict.violations == []
    assert verdict.safe_sql is not None
    statements = Postgres().parse(verdict.safe_sql)
    assert len(statements) == 1
    query = statements[0]
    assert query is not None
    limit = query.args.get("limit")
    assert isinstance(limit, exp.Limit)
    assert isinstance(limit.expression, exp.Literal)
    assert 0 <= int(limit.expression.this) <= ROW_CAP


@pytest.mark.parametrize("sql", BENIGN)
def test_safe_sql_is_a_fixed_point(sql: str) -> None:
    first = validate_sql(sql, TENANT).safe_sql
    assert first is not None
    second = validate_sql(first, TENANT)
    assert second.valid
    assert second.safe_sql == first


@pytest.mark.parametrize("sql", BENIGN)
def test_benign_query_is_blocked_for_another_tenant(sql: str) -> None:
    # The corpus names t_acme; the same text asked on behalf of t_globex must not run.
    verdict = validate_sql(sql, "t_globex")
    assert not verdict.valid
    assert {violation.code for violation in verdict.violations} == {"SQL_TENANT"}


def test_concurrent_validation_matches_sequential() -> None:
    # Tokenizer, parser and the warning sink are per thread; results must not mix.
    lines = ATTACKS + BENIGN
    sequential = [validate_sql(sql, TENANT) for sql in lines]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(lambda sql: validate_sql(sql, TENANT), lines * 3))
    assert concurrent == sequential * 3
