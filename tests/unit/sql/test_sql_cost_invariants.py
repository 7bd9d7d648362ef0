"""What keeps validation cheap must not change what it returns (see opsflow/sql/_parse.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from opsflow.sql import validate_sql
from opsflow.sql._parse import parse, render, settle_round_types
from tests.unit.sql.sql_corpus import TENANT, read_lines

ROUNDS = [
    "SELECT round(avg(value)::numeric, 2) FROM metric_sample WHERE tenant_id = 't_acme'",
    "SELECT round(avg(value), 2) FROM metric_sample WHERE tenant_id = 't_acme'",
    "SELECT round(value::float8, 1), round(value::double precision, 3), round(value::real, 2),"
    " round(value::int, 1), round(value), round(value::numeric(10, 2), 1)"
    " FROM metric_sample WHERE tenant_id = 't_acme'",
    "SELECT round(round(value::numeric, 2)::float8, 1) || 'x', round(sum(value)::numeric / 3, 2)"
    " FROM metric_sample WHERE tenant_id = 't_acme' GROUP BY value",
]


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("sql", read_lines("sql_benign.txt") + ROUNDS)
def test_settled_round_types_render_the_same_sql(sql: str) -> None:
    plain, settled = parse(sql).statements[0], parse(sql).statements[0]
    settle_round_types(list(settled.walk()))
    assert render(settled) == render(plain)


def test_round_of_a_double_cast_still_gets_the_decimal_cast() -> None:
    verdict = validate_sql(ROUNDS[2], TENANT)
    assert verdict.safe_sql is not None
    assert "ROUND(CAST(CAST(value AS DOUBLE PRECISION) AS DECIMAL), 1)" in verdict.safe_sql


@pytest.mark.usefixtures("collector_off")
def test_validated_trees_are_freed_without_the_cyclic_collector() -> None:
    # Rendering may build a few cyclic temporaries of its own; a whole tree is ~100+.
    for sql in read_lines("sql_benign.txt"):
        assert validate_sql(sql, TENANT).valid
        garbage = gc.collect()
        assert garbage < 30, (garbage, sql)
