"""The outermost query always carries a literal LIMIT no larger than the row cap."""

from __future__ import annotations

import pytest

from opsflow.sql import validate_sql

BASE = "SELECT id FROM ci WHERE tenant_id = 't_acme'"


@pytest.mark.parametrize(
    ("sql", "cap", "expected_tail"),
    [
        (BASE, 1000, "LIMIT 1000"),
        (BASE, 7, "LIMIT 7"),
        (f"{BASE} LIMIT 10", 1000, "LIMIT 10"),
        (f"{BASE} LIMIT 1000", 1000, "LIMIT 1000"),
        (f"{BASE} LIMIT 0", 1000, "LIMIT 0"),
        (f"{BASE} LIMIT 1001", 1000, "LIMIT 1000"),
        (f"{BASE} LIMIT 99999999999999999999999999", 1000, "LIMIT 1000"),
        (f"{BASE} LIMIT ALL", 1000, "LIMIT 1000"),
        (f"{BASE} LIMIT NULL", 1000, "LIMIT 1000"),
        (f"{BASE} LIMIT 5 + 5", 1000, "LIMIT 1000"),
        (f"{BASE} LIMIT 10 OFFSET 20", 1000, "LIMIT 10 OFFSET 20"),
        (f"{BASE} ORDER BY id LIMIT 5000 OFFSET 5", 100, "LIMIT 100 OFFSET 5"),
        (f"{BASE} FETCH FIRST 5 ROWS ONLY", 1000, "FETCH FIRST 5 ROWS ONLY"),
        (f"{BASE} FETCH FIRST 5000 ROWS ONLY", 1000, "LIMIT 1000"),
        (f"{BASE} ORDER BY id FETCH FIRST 5 ROWS WITH TIES", 1000, "LIMIT 1000"),
        (f"{BASE};", 1000, "LIMIT 1000"),
        (f"({BASE})", 1000, "LIMIT 1000"),
        (f"({BASE} LIMIT 5000)", 1000, "LIMIT 1000"),
        (f"{BASE} UNION ALL {BASE}", 50, "LIMIT 50"),
        (f"({BASE} LIMIT 3) UNION ALL ({BASE} LIMIT 4000)", 50, "LIMIT 50"),
    ],
)
def test_limit_is_added_or_lowered(sql: str, cap: int, expected_tail: str) -> None:
    verdict = validate_sql(sql, "t_acme", row_cap=cap)
    assert verdict.valid, verdict.violations
    assert verdict.safe_sql is not None
    assert verdict.safe_sql.endswith(expected_tail)


def test_inner_limits_are_kept_and_the_outer_one_is_added() -> None:
    sql = f"SELECT * FROM ({BASE} ORDER BY id LIMIT 5) AS recent"
    safe_sql = validate_sql(sql, "t_acme").safe_sql
    assert safe_sql == (
        "SELECT * FROM (SELECT id FROM ci WHERE tenant_id = 't_acme' ORDER BY id LIMIT 5)"
        " AS recent LIMIT 1000"
    )


def test_limit_subquery_is_still_checked() -> None:
    verdict = validate_sql(f"{BASE} LIMIT (SELECT count(*) FROM event)", "t_acme")
    assert not verdict.valid
    assert [v.code for v in verdict.violations] == ["SQL_TENANT"]


@pytest.mark.parametrize("cap", [0, -1])
def test_row_cap_below_one_is_a_caller_error(cap: int) -> None:
    with pytest.raises(ValueError, match="row_cap"):
        validate_sql(BASE, "t_acme", row_cap=cap)
