"""Column references resolve against the schema and the sources in scope (issue 15)."""

from __future__ import annotations

import pytest

from opsflow.sql import validate_sql
from opsflow.sql._names import ascii_lower, fold
from tests.unit.sql.sql_corpus import TENANT

F = "WHERE c.tenant_id = 't_acme'"


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT c.name, c.attributes ->> 'owner' AS owner FROM ci c {F} ORDER BY owner",
        f"WITH x(a, b) AS (SELECT c.id, c.name FROM ci c {F}) SELECT x.a, b FROM x",
        f"WITH x AS (SELECT c.id, count(*) FROM ci c {F} GROUP BY c.id) SELECT count FROM x",
        f"SELECT s.* FROM (SELECT c.* FROM ci c {F}) AS s WHERE s.status = 'active'",
        "WITH RECURSIVE w(id, depth) AS (SELECT r.target_id, 1 FROM ci_relation r"
        " WHERE r.tenant_id = 't_acme' UNION ALL SELECT r.target_id, w.depth + 1 FROM"
        " ci_relation r JOIN w ON r.source_id = w.id WHERE r.tenant_id = 't_acme'"
        " AND w.depth < 3) SELECT id, depth FROM w",
        f"SELECT c.name FROM ci c {F} AND EXISTS (SELECT 1 FROM event e"
        " WHERE e.tenant_id = 't_acme' AND e.ci_id = c.id)",
        f"SELECT e.key, e.value FROM ci c, jsonb_each(c.attributes) AS e {F}",
        'SELECT "c"."name" FROM ci "c" WHERE "c"."tenant_id" = \'t_acme\'',
        f"SELECT C.NAME FROM ci c {F}",
    ],
)
def test_real_columns_resolve(sql: str) -> None:
    verdict = validate_sql(sql, TENANT)
    assert verdict.valid, verdict.violations


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        (f"SELECT c.nosuch FROM ci c {F}", "has no column 'nosuch'"),
        (f"SELECT to_jsonb(c) FROM ci c {F}", "column 'c' does not exist"),
        (f"SELECT d.name FROM ci c {F}", "'d' names no table"),
        (f"SELECT d.* FROM ci c {F}", "'d'.* names no table"),
        (f"SELECT public.ci.name FROM ci {F.replace('c.', 'ci.')}", "schema-qualified"),
        (f'SELECT "User" FROM ci c {F}', "column 'User' does not exist"),
        (f"SELECT current_catalog FROM ci c {F}", "not allowed"),
        (f"SELECT c.name FROM ci c {F} ORDER BY xmax", "system column xmax"),
        ("SELECT ÉX.name FROM ci éx WHERE éx.tenant_id = 't_acme'", "'Éx' names no table"),
        (
            f"WITH x AS (SELECT c.id FROM ci c {F}) SELECT x.current_setting FROM x",
            "attribute notation",
        ),
    ],
)
def test_anything_else_is_refused(sql: str, fragment: str) -> None:
    verdict = validate_sql(sql, TENANT)
    assert not verdict.valid
    assert any(fragment in v.message for v in verdict.violations), verdict.violations


def test_folding_is_ascii_only() -> None:
    assert ascii_lower("ÉxAMPLE_\u212a") == "Éxample_\u212a"
    assert "\u212a".lower() == "k"  # what str.lower() would have merged
    assert fold("Σa") != fold("σa")


@pytest.mark.parametrize(
    ("sql", "valid"),
    [
        ("SELECT count(*) FROM generate_series(1, 100000) AS g", True),
        ("SELECT count(*) FROM generate_series(1, 100001) AS g", False),
        ("SELECT count(*) FROM generate_series(-50, 50, 0.01) AS g", True),
        ("SELECT count(*) FROM generate_series(1, 10, 0) AS g", False),
        ("SELECT count(*) FROM generate_series(100000, 1, -1) AS g", True),
        (
            "SELECT count(*) FROM generate_series(now() - interval '7 days', now(),"
            " interval '10 minutes') AS g",
            True,
        ),
        (
            "SELECT count(*) FROM generate_series(now() - interval '1 year', now(),"
            " interval '1 minute') AS g",
            False,
        ),
        (
            "SELECT count(*) FROM generate_series('2024-01-01'::timestamptz,"
            " '2024-02-01'::timestamptz, '1 hour'::interval) AS g",
            True,
        ),
        (
            # CURRENT_DATE is now() truncated to the day: one anchor, a day of slack.
            "SELECT count(*) FROM generate_series(now() - interval '1 day', CURRENT_DATE,"
            " interval '1 hour') AS g",
            True,
        ),
        (
            "SELECT count(*) FROM generate_series(TIMESTAMPTZ '2000-01-01', now(),"
            " interval '1 day') AS g",
            False,
        ),
        ("SELECT lpad('x', 10000, 'y') AS p", True),
        ("SELECT rpad('x', 10001) AS p", False),
    ],
)
def test_size_arguments_need_literal_bounds(sql: str, valid: bool) -> None:
    verdict = validate_sql(sql, TENANT)
    assert verdict.valid is valid, verdict.violations
    if not valid:
        assert {v.code for v in verdict.violations} == {"SQL_SIZE"}
