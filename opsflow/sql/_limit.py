"""Row cap: the outermost query always ends with a literal LIMIT no larger than the cap.

Only the outermost LIMIT bounds what reaches the caller; inner LIMITs are left alone.
A LIMIT that is not a small integer literal (an expression, ALL, NULL, a subquery, a
FETCH FIRST ... clause) is replaced rather than reasoned about.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

# Longer digit strings are above any cap; also keeps int() away from huge inputs.
_MAX_DIGITS: Final = 18


def _literal_rows(clause: exp.Expr | None) -> int | None:
    """The row count of a plain `LIMIT <integer>`, else None."""
    if not isinstance(clause, exp.Limit):
        return None
    value = clause.expression
    if not isinstance(value, exp.Literal) or value.is_string:
        return None
    text = str(value.this)
    if not text.isdigit() or len(text) > _MAX_DIGITS:
        return None
    return int(text)


def outermost_query(root: exp.Expr) -> exp.Expr:
    """`root` without redundant outer parentheses: `((SELECT ...))` is the SELECT."""
    query = root
    while isinstance(query, exp.Subquery) and set(query.args) <= {"this"}:
        query = query.this
    return query


def enforce_limit(query: exp.Expr, row_cap: int) -> None:
    """Give `query` (an outermost query, modified in place) a LIMIT of at most `row_cap`."""
    rows = _literal_rows(query.args.get("limit"))
    if rows is None or rows > row_cap:
        query.set("limit", exp.Limit(expression=exp.Literal.number(row_cap)))
