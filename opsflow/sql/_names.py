"""Identifiers exactly as PostgreSQL resolves them.

PostgreSQL folds an unquoted identifier by lower-casing ASCII letters only (in a UTF-8
database `downcase_identifier` leaves every other byte alone): `Éx` and `éx` are two
names, and the Kelvin sign is not `k`. Python's `str.lower()` folds all of them, so it
must never decide whether two names are the same.
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# PostgreSQL truncates longer identifiers to NAMEDATALEN - 1 bytes, so two long names
# that differ only past it are one name there and two here: such names are refused.
MAX_IDENTIFIER_BYTES: Final = 63


def ascii_lower(text: str) -> str:
    """`text` with A-Z lower-cased and every other character unchanged."""
    return text.translate(_ASCII_LOWER)


def fold(identifier: exp.Expr | str | None) -> str | None:
    """An identifier as PostgreSQL resolves it: unquoted names fold ASCII letters only."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return ascii_lower(identifier)
    if isinstance(identifier, exp.Identifier):
        text = str(identifier.this)
        return text if identifier.quoted else ascii_lower(text)
    return None


def too_long(identifier: exp.Identifier) -> bool:
    text = str(identifier.this)
    # Cheap test first: a UTF-8 character takes at most four bytes.
    return len(text) * 4 > MAX_IDENTIFIER_BYTES and len(text.encode()) > MAX_IDENTIFIER_BYTES
