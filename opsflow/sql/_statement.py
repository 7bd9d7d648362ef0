"""Statement kinds: which roots are queries, and the precise code for the ones that are not.

The same table names node kinds found *anywhere* in the tree, because sqlglot hides
statements inside queries: a data-modifying CTE sits under a Select root, SELECT INTO
is a Select with an `into` arg, FOR UPDATE is a `locks` arg.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

from opsflow.sql._models import (
    SQL_COMMAND,
    SQL_DCL,
    SQL_DDL,
    SQL_LOCK,
    SQL_NOT_SELECT,
    SQL_WRITE,
)

QUERY_ROOTS: Final[tuple[type[exp.Expr], ...]] = (exp.Select, exp.SetOperation)

# Statement-level node kinds with their code and a human name; never descended into.
_STATEMENT_CODES: Final[dict[type[exp.Expr], tuple[str, str]]] = {
    exp.Insert: (SQL_WRITE, "INSERT"),
    exp.Update: (SQL_WRITE, "UPDATE"),
    exp.Delete: (SQL_WRITE, "DELETE"),
    exp.Merge: (SQL_WRITE, "MERGE"),
    exp.Into: (SQL_WRITE, "SELECT INTO"),
    exp.Copy: (SQL_NOT_SELECT, "COPY"),
    exp.Lock: (SQL_LOCK, "a locking clause (FOR UPDATE/SHARE)"),
    exp.Create: (SQL_DDL, "CREATE"),
    exp.Drop: (SQL_DDL, "DROP"),
    exp.Alter: (SQL_DDL, "ALTER"),
    exp.TruncateTable: (SQL_DDL, "TRUNCATE"),
    exp.Comment: (SQL_DDL, "COMMENT ON"),
    exp.Grant: (SQL_DCL, "GRANT"),
    exp.Revoke: (SQL_DCL, "REVOKE"),
    exp.Transaction: (SQL_NOT_SELECT, "transaction control (BEGIN)"),
    exp.Commit: (SQL_NOT_SELECT, "transaction control (COMMIT)"),
    exp.Rollback: (SQL_NOT_SELECT, "transaction control (ROLLBACK)"),
    exp.Set: (SQL_NOT_SELECT, "SET"),
    exp.Analyze: (SQL_NOT_SELECT, "ANALYZE"),
    exp.Use: (SQL_NOT_SELECT, "USE"),
    exp.Describe: (SQL_NOT_SELECT, "DESCRIBE"),
}

# Commands sqlglot cannot parse in detail still have a precise code by keyword.
_COMMAND_CODES: Final[dict[str, str]] = {
    "INSERT": SQL_WRITE,
    "UPDATE": SQL_WRITE,
    "DELETE": SQL_WRITE,
    "MERGE": SQL_WRITE,
    "CREATE": SQL_DDL,
    "DROP": SQL_DDL,
    "ALTER": SQL_DDL,
    "TRUNCATE": SQL_DDL,
    "COMMENT": SQL_DDL,
    "GRANT": SQL_DCL,
    "REVOKE": SQL_DCL,
}


def statement_violation(node: exp.Expr) -> tuple[str, str] | None:
    """(code, message) when `node` is a statement kind that is never allowed, else None."""
    if isinstance(node, exp.Command):
        # sqlglot's catch-all: `this` holds the leading keyword (DO, CALL, VACUUM, ...).
        keyword = str(node.this).split(maxsplit=1)[0].upper() if node.this else "UNKNOWN"
        code = _COMMAND_CODES.get(keyword, SQL_COMMAND)
        return code, f"{keyword} statements are not allowed; only read-only SELECT queries are"
    entry = _STATEMENT_CODES.get(type(node))
    if entry is None:
        for kind, candidate in _STATEMENT_CODES.items():
            if isinstance(node, kind):
                entry = candidate
                break
    if entry is None:
        return None
    code, name = entry
    if code == SQL_LOCK:
        return code, "locking clauses (FOR UPDATE/SHARE) are not allowed in a read-only query"
    return code, f"{name} is not allowed; only read-only SELECT queries are"


def root_violation(root: exp.Expr) -> tuple[str, str] | None:
    """(code, message) when the statement root is not a query, else None."""
    if isinstance(root, QUERY_ROOTS):
        return None
    if isinstance(root, exp.Subquery) and isinstance(root.unnest(), QUERY_ROOTS):
        return None
    found = statement_violation(root)
    if found is not None:
        return found
    return SQL_NOT_SELECT, (
        f"the statement is not a SELECT query (parsed as {type(root).__name__}); "
        "only read-only SELECT queries are allowed"
    )
