"""SQL safety validator for LLM-written SQL (Postgres): pure, allowlist-based, no I/O.

`validate_sql` decides; the `direct_query` activity raises a non-retryable `SqlBlocked`
with the verdict's violations and runs only `safe_sql`, inside a read-only, row-level
secured session (the database is the second line of defence, not the first).

Choices worth knowing when a legitimate query is refused:
- The `tenant` table is not readable (it lists other customers); TENANT_TABLES still
  names it because it is tenant-keyed (by `id`).
- A tenant filter counts only as `<ref>.tenant_id = '<tenant>'` (either order) in a
  top-level AND term of the same SELECT's WHERE, or of the ON of the INNER/LEFT join
  that brings that table in. Unqualified `tenant_id` counts only when the table is the
  SELECT's sole FROM item. `IN ('<tenant>')`, casts, `tenant_id = other.tenant_id` and
  filters reached through USING or an outer scope give no credit.
- Refused although harmless: parenthesised join groups, column alias lists on ops
  tables, CTE names that shadow a table, dollar-quoted/E''/U&'' strings, parameters.
- Every column reference must resolve to a real column (schema tables, CTEs, derived
  tables, set-returning functions, output aliases): `alias.function` is refused, as
  are keyword pseudo-columns (`user`) and system columns (`ctid`). Unquoted names fold
  ASCII letters only, as PostgreSQL does.
- Size arguments need literal bounds: generate_series (at most 100,000 rows),
  lpad/rpad/repeat (10,000 characters); a recursive CTE may not grow a value
  exponentially.
- Outermost LIMIT: added, or lowered to the cap when larger or not a literal.
- `safe_sql` is rendered without comments, parsed again and re-checked before use.
"""

from opsflow.sql._models import (
    ALL_CODES,
    SQL_CATALOG,
    SQL_COLUMN,
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
    SQL_SIZE,
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
    "SQL_COLUMN",
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
    "SQL_SIZE",
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
