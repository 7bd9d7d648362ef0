"""SQL safety validator for LLM-written SQL (Postgres): pure, allowlist-based, no I/O.

`validate_sql` decides; the `direct_query` activity raises a non-retryable `SqlBlocked`
with the verdict's violations and runs only `safe_sql`, inside a read-only, row-level
secured session (the database is the second line of defence, not the first).
"""

from opsflow.sql._models import (
    ALL_CODES,
    SQL_CATALOG,
    SQL_COMMAND,
    SQL_DCL,
    SQL_DDL,
    SQL_FUNCTION,
    SQL_LOCK,
    SQL_MULTI_STATEMENT,
    SQL_NODE,
    SQL_NOT_SELECT,
    SQL_PARSE,
    SQL_SCHEMA,
    SQL_TABLE,
    SQL_TENANT,
    SQL_TOO_LARGE,
    SQL_WRITE,
    SqlVerdict,
    Violation,
)
from opsflow.sql._policy import ALLOWED_TABLES, TENANT_TABLES
from opsflow.sql._prescan import MAX_NESTING, MAX_SQL_CHARS
from opsflow.sql._validator import DEFAULT_ROW_CAP, check_sql_lines, validate_sql

__all__ = [
    "ALLOWED_TABLES",
    "ALL_CODES",
    "DEFAULT_ROW_CAP",
    "MAX_NESTING",
    "MAX_SQL_CHARS",
    "SQL_CATALOG",
    "SQL_COMMAND",
    "SQL_DCL",
    "SQL_DDL",
    "SQL_FUNCTION",
    "SQL_LOCK",
    "SQL_MULTI_STATEMENT",
    "SQL_NODE",
    "SQL_NOT_SELECT",
    "SQL_PARSE",
    "SQL_SCHEMA",
    "SQL_TABLE",
    "SQL_TENANT",
    "SQL_TOO_LARGE",
    "SQL_WRITE",
    "TENANT_TABLES",
    "SqlVerdict",
    "Violation",
    "check_sql_lines",
    "validate_sql",
]
