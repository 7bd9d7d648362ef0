"""Property: a query is valid exactly when every tenant-table reference is pinned.

Queries are generated from a small model (tables, how each one is filtered, joins,
OR injection, wrapping scopes); the model computes the expected verdict from the rule
("every reference has a top-level `<ref>.tenant_id = '<tenant>'` conjunct in its
scope's WHERE or its own inner/left join's ON, and no other tenant is named") and the
validator must agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from opsflow.sql import ALLOWED_TABLES, SQL_TENANT, validate_sql

TENANT = "t_acme"
OTHER = "t_globex"

# How one table reference is constrained, and whether that counts as its filter.
CREDITED_IN_WHERE = {"where", "where_reversed", "where_parenthesised"}
FORMS = [
    "where",
    "where_reversed",
    "where_parenthesised",
    "unqualified",
    "on",
    "none",
    "other_tenant",
    "under_or",
    "negated",
    "in_list_self",
    "in_list_other",
    "not_equal",
]
POISONED = {"other_tenant", "negated", "in_list_other", "not_equal"}
SIDES = ["", "INNER ", "LEFT ", "RIGHT ", "FULL "]
WRAPS = ["none", "subquery", "cte", "exists", "scalar", "union_ok", "union_bad", "lateral"]


@dataclass(frozen=True)
class Ref:
    table: str
    alias: str
    form: str
    side: str


def _term(ref: Ref) -> str | None:
    col = f"{ref.alias}.tenant_id"
    return {
        "where": f"{col} = '{TENANT}'",
        "where_reversed": f"'{TENANT}' = {col}",
        "where_parenthesised": f"(({col}) = '{TENANT}')",
        "unqualified": f"tenant_id = '{TENANT}'",
        "other_tenant": f"{col} = '{OTHER}'",
        "under_or": f"({col} = '{TENANT}' OR 2 > 1)",
        "negated": f"NOT ({col} = '{TENANT}')",
        "in_list_self": f"{col} IN ('{TENANT}')",
        "in_list_other": f"{col} IN ('{TENANT}', '{OTHER}')",
        "not_equal": f"{col} <> '{OTHER}'",
    }.get(ref.form)


def _credited(ref: Ref, single: bool, or_injected: bool) -> bool:
    if ref.form == "on":
        return ref.side.strip() not in {"RIGHT", "FULL"}
    if or_injected:
        return False
    if ref.form == "unqualified":
        return single
    return ref.form in CREDITED_IN_WHERE


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, bool]:
    count = draw(st.integers(min_value=1, max_value=3))
    refs = [
        Ref(
            table=draw(st.sampled_from(sorted(ALLOWED_TABLES))),
            alias=f"t{index}",
            form=draw(st.sampled_from([f for f in FORMS if f != "on" or index > 0])),
            side=draw(st.sampled_from(SIDES)) if index > 0 else "",
        )
        for index in range(count)
    ]
    or_injected = draw(st.booleans())
    wrap = draw(st.sampled_from(WRAPS))

    from_sql = f"{refs[0].table} {refs[0].alias}"
    for ref in refs[1:]:
        on_terms = ["1 = 1"] + ([f"{ref.alias}.tenant_id = '{TENANT}'"] if ref.form == "on" else [])
        from_sql += f" {ref.side}JOIN {ref.table} {ref.alias} ON {' AND '.join(on_terms)}"
    terms = [term for ref in refs if (term := _term(ref)) is not None] or ["1 = 1"]
    where = " AND ".join(terms)
    if or_injected:
        where = f"({where}) OR 1 = 1"
    # Every table has tenant_id, not every one has id: columns are checked against the schema.
    inner = f"SELECT {refs[0].alias}.tenant_id AS id FROM {from_sql} WHERE {where}"

    single = count == 1
    expected = all(_credited(ref, single, or_injected) for ref in refs) and not any(
        ref.form in POISONED for ref in refs
    )
    filtered = f"SELECT e.id FROM event e WHERE e.tenant_id = '{TENANT}'"
    sql = {
        "none": inner,
        "subquery": f"SELECT * FROM ({inner}) AS s",
        "cte": f"WITH s AS ({inner}) SELECT * FROM s",
        "exists": f"{filtered} AND EXISTS ({inner})",
        "scalar": f"SELECT ({inner} LIMIT 1) AS first_id",
        "union_ok": f"{inner} UNION ALL {filtered}",
        "union_bad": f"{inner} UNION ALL SELECT e.id FROM event e",
        "lateral": f"SELECT x.id FROM ({filtered}) AS f CROSS JOIN LATERAL ({inner}) AS x",
    }[wrap]
    if wrap == "union_bad":
        expected = False
    return sql, expected


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_valid_iff_every_tenant_reference_is_pinned(scenario: tuple[str, bool]) -> None:
    sql, expected = scenario
    verdict = validate_sql(sql, TENANT)
    assert verdict.valid is expected, (sql, verdict.violations)
    if expected:
        assert verdict.safe_sql is not None
    else:
        assert SQL_TENANT in {v.code for v in verdict.violations}


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_verdict_depends_on_the_requesting_tenant(scenario: tuple[str, bool]) -> None:
    # Text that passes for t_acme never passes for t_globex: the tenant is the caller's.
    sql, valid_for_tenant = scenario
    if valid_for_tenant:
        assert not validate_sql(sql, OTHER).valid


SQL_WORDS = [
    "SELECT", "*", "FROM", "ci", "event", "WHERE", "tenant_id", "=", "'t_acme'", "'t_globex'",
    "AND", "OR", "NOT", "(", ")", ",", ";", "UNION", "ALL", "JOIN", "ON", "LIMIT", "10",
    "pg_sleep(1)", "WITH", "x", "AS", "--", "/*", "*/", "$$", "'", '"', "::", "INTO", "FOR",
    "UPDATE", "DELETE", "count(*)", "c", "c.tenant_id", "IN", "LATERAL", "[", "]", "->>",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SQL_WORDS), max_size=30).map(" ".join))
def test_any_token_soup_gets_a_verdict_and_valid_means_capped(sql: str) -> None:
    verdict = validate_sql(sql, TENANT)
    assert verdict.valid is (verdict.safe_sql is not None)
    if verdict.safe_sql is not None:
        again = validate_sql(verdict.safe_sql, TENANT)
        assert again.valid
        assert "LIMIT" in verdict.safe_sql or "FETCH" in verdict.safe_sql


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(sql: str) -> None:
    verdict = validate_sql(sql, TENANT)
    assert verdict.valid is (verdict.safe_sql is not None)
