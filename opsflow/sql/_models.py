"""The validator's contract: stable violation codes and the typed verdict.

Codes are part of the wire contract (`SqlBlocked` details, the `check-sql` CLI, tests):
add new ones freely, never rename one.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

SQL_TOO_LARGE: Final = "SQL_TOO_LARGE"
SQL_PARSE: Final = "SQL_PARSE"
SQL_MULTI_STATEMENT: Final = "SQL_MULTI_STATEMENT"
SQL_NOT_SELECT: Final = "SQL_NOT_SELECT"
SQL_COMMAND: Final = "SQL_COMMAND"
SQL_WRITE: Final = "SQL_WRITE"
SQL_DDL: Final = "SQL_DDL"
SQL_DCL: Final = "SQL_DCL"
SQL_LOCK: Final = "SQL_LOCK"
SQL_NODE: Final = "SQL_NODE"
SQL_FUNCTION: Final = "SQL_FUNCTION"
SQL_CATALOG: Final = "SQL_CATALOG"
SQL_SCHEMA: Final = "SQL_SCHEMA"
SQL_TABLE: Final = "SQL_TABLE"
SQL_TENANT: Final = "SQL_TENANT"
SQL_COLUMN: Final = "SQL_COLUMN"
SQL_SIZE: Final = "SQL_SIZE"

ALL_CODES: Final = frozenset(
    {
        SQL_TOO_LARGE,
        SQL_PARSE,
        SQL_MULTI_STATEMENT,
        SQL_NOT_SELECT,
        SQL_COMMAND,
        SQL_WRITE,
        SQL_DDL,
        SQL_DCL,
        SQL_LOCK,
        SQL_NODE,
        SQL_FUNCTION,
        SQL_CATALOG,
        SQL_SCHEMA,
        SQL_TABLE,
        SQL_TENANT,
        SQL_COLUMN,
        SQL_SIZE,
    }
)


class Violation(BaseModel):
    """One reason to refuse a statement: a stable code and a sentence for a person."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class SqlVerdict(BaseModel):
    """The validator's answer; `safe_sql` is set exactly when the statement may run."""

    model_config = ConfigDict(frozen=True)

    sql: str
    valid: bool
    violations: list[Violation]
    safe_sql: str | None


class Violations:
    """An ordered, de-duplicated collection: one bad node reached twice is reported once."""

    __slots__ = ("_items", "_seen")

    def __init__(self) -> None:
        self._items: list[Violation] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, code: str, message: str) -> None:
        key = (code, message)
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(Violation(code=code, message=message))

    def extend(self, other: Violations) -> None:
        for item in other._items:
            self.add(item.code, item.message)

    def codes(self) -> set[str]:
        return {item.code for item in self._items}

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def as_list(self) -> list[Violation]:
        return list(self._items)
