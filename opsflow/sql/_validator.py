"""validate_sql decides, check_sql_lines adapts it for the CLI; pure, no I/O, total.

Order of work, cheapest and most defensive first: size and bracket depth on the raw
text, one parse, the statement count and root kind, one walk over every node, the LIMIT.
The SQL that may run is rendered from the validated tree, parsed once more and checked
again, so a sqlglot rendering quirk (a string rendered as raw SQL, say) can never run
text that was not validated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

from sqlglot import exp

from opsflow.sql._limit import enforce_limit, has_row_cap, outermost_query
from opsflow.sql._models import (
    SQL_COMMAND,
    SQL_MULTI_STATEMENT,
    SQL_PARSE,
    SQL_TOO_LARGE,
    SqlVerdict,
    Violations,
)
from opsflow.sql._parse import ParseFailed, parse, render, settle_round_types, unlink
from opsflow.sql._prescan import too_large
from opsflow.sql._statement import root_violation
from opsflow.sql._walk import TreeChecker
from opsflow.tenant_id import TENANT_ID_PATTERN, is_tenant_id

DEFAULT_ROW_CAP: Final = 1000
_MAX_WARNING_CHARS: Final = 160


def validate_sql(sql: str, tenant_id: str, *, row_cap: int = DEFAULT_ROW_CAP) -> SqlVerdict:
    """Decide whether `sql` may run for `tenant_id`; when it may, return it with a LIMIT.

    Raises ValueError only for caller mistakes (a malformed tenant id, a cap below 1);
    anything wrong with `sql` itself is a violation in the verdict, never an exception.
    """
    if not is_tenant_id(tenant_id):
        raise ValueError(f"tenant id {tenant_id!r} does not match {TENANT_ID_PATTERN}")
    if row_cap < 1:
        raise ValueError(f"row_cap must be at least 1, got {row_cap}")
    out = Violations()
    nodes: list[exp.Expr] = []
    try:
        safe_sql = _check(sql, tenant_id, row_cap, out, nodes)
    finally:
        unlink(nodes)
    return SqlVerdict(
        sql=sql,
        valid=safe_sql is not None,
        violations=out.as_list(),
        safe_sql=safe_sql,
    )


def _check(
    sql: str, tenant_id: str, row_cap: int, out: Violations, nodes: list[exp.Expr]
) -> str | None:
    """Fill `out`; return the SQL to run when nothing was found, else None.

    The nodes of every tree walked are added to `nodes`, for the caller to unlink.
    """
    problem = too_large(sql)
    if problem is not None:
        out.add(SQL_TOO_LARGE, problem)
        return None
    try:
        parsed = parse(sql)
    except ParseFailed as failure:
        out.add(SQL_PARSE, f"the SQL could not be parsed: {failure.reason}")
        return None
    statements = parsed.statements
    if not statements:
        out.add(SQL_PARSE, "no SQL statement was found")
        return None
    if len(statements) > 1:
        out.add(
            SQL_MULTI_STATEMENT,
            f"found {len(statements)} statements; exactly one SELECT query is allowed",
        )
    for statement in statements:
        found = root_violation(statement)
        if found is not None:
            out.add(*found)
    if out:
        return None
    root = statements[0]
    TreeChecker(tenant_id, out, nodes).check(root)
    if parsed.warnings and SQL_COMMAND not in out.codes():
        # A Command already explains its own warning; any other warning is a guess.
        out.add(
            SQL_PARSE,
            "the parser could not read part of the SQL: " + parsed.warnings[0][:_MAX_WARNING_CHARS],
        )
    if out:
        return None
    return _render_capped(root, tenant_id, row_cap, out, nodes)


def _render_capped(
    root: exp.Expr, tenant_id: str, row_cap: int, out: Violations, nodes: list[exp.Expr]
) -> str | None:
    query = outermost_query(root)
    added = enforce_limit(query, row_cap)
    if added is not None:
        nodes += (added, added.expression)
    settle_round_types(nodes)  # only the validated tree's nodes are in `nodes` yet
    try:
        safe_sql = render(query)
        again = parse(safe_sql)
    except ParseFailed as failure:
        out.add(SQL_PARSE, f"the query could not be rendered as SQL: {failure.reason}")
        return None
    # Validate what will run: the rendered text, as parsed again. Cheaper than hashing
    # both trees for equality, and it does not matter whether rendering drifted, only
    # whether the text that reaches the database passes every rule.
    rendered = Violations()
    if again.warnings or len(again.statements) != 1:
        rendered.add(SQL_PARSE, "the normalized query is not a single clean statement")
    else:
        TreeChecker(tenant_id, rendered, nodes).check(again.statements[0])
        if not has_row_cap(outermost_query(again.statements[0]), row_cap):
            rendered.add(SQL_PARSE, "the normalized query lost its row limit")
    if rendered:
        out.add(
            SQL_PARSE,
            "the query changes meaning when normalized, so it cannot be run safely; "
            "simplify the expression",
        )
        out.extend(rendered)
        return None
    return safe_sql


def check_sql_lines(lines: Iterable[str], tenant_id: str) -> Iterator[dict[str, Any]]:
    """One JSON-ready verdict per non-blank line, for the `check-sql` CLI."""
    for line in lines:
        sql = line.strip()
        if not sql:
            continue
        verdict = validate_sql(sql, tenant_id)
        yield {
            "sql": verdict.sql,
            "valid": verdict.valid,
            "violations": [
                {"code": violation.code, "message": violation.message}
                for violation in verdict.violations
            ],
        }
