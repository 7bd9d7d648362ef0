"""Row cap: the outermost query always ends with a literal LIMIT no larger than the cap.

Only the outermost LIMIT bounds what reaches the caller; inner LIMITs are left alone.
A LIMIT that is not a small integer literal (an expression, ALL, NULL, a subquery, FETCH
FIRST with PERCENT or WITH TIES) is replaced rather than reasoned about.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

# Longer digit strings are above any cap; also keeps int() away from huge inputs.
_MAX_DIGITS: Final = 18


def _literal_rows(clause: exp.Expr | None) -> int | None:
    """The row count of `LIMIT <integer>` or `FETCH FIRST <integer> ROWS ONLY`, else None."""
    if isinstance(clause, exp.Limit):
        value = clause.expression
    elif isinstance(clause, exp.Fetch):
        options = clause.args.get("limit_options")
        if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
            return None  # PERCENT and WITH TIES can return more rows than the count
        value = clause.args.get("count")
    else:
        return None
    if not isinstance(value, exp.Literal) or value.is_string:
        return None
    text = str(value.this)
    if not text.isdigit() or len(text) > _MAX_DIGITS:
        return None
    return int(text)


def outermost_query(root: exp.Expr) -> exp.Expr:
    """`root` without redundant outer parentheses: `((SELECT ...))` is the SELECT."""
    query = root
    # sqlglot may keep unset args as explicit None keys: only real ones count.
    while isinstance(query, exp.Subquery) and not any(
        value is not None for key, value in query.args.items() if key != "this"
    ):
        query = query.this
    return query


def has_row_cap(query: exp.Expr, row_cap: int) -> bool:
    """Whether `query` (an outermost query) ends with a literal LIMIT of at most `row_cap`."""
    rows = _literal_rows(query.args.get("limit"))
    return rows is not None and rows <= row_cap


def enforce_limit(query: exp.Expr, row_cap: int) -> exp.Limit | None:
    """Give `query` (an outermost query, modified in place) a LIMIT of at most `row_cap`.

    Returns the LIMIT node it set, or None when the query already had a small enough one.
    """
    if has_row_cap(query, row_cap):
        return None
    limit = exp.Limit(expression=exp.Literal.number(row_cap))
    query.set("limit", limit)
    return limit
