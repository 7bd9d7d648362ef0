"""Cheap checks that run before sqlglot sees the text, so hostile input cannot make it work hard.

The parser is recursive: deeply nested input costs stack and time before any rule can
look at it. One linear regex pass measures the bracket depth outside quotes, quoted
identifiers, dollar quotes and comments. It only has to be good enough to bound work:
the executed SQL is regenerated from the validated tree, so a miscount here can cost a
false rejection but never lets text through unchecked.
"""

from __future__ import annotations

import re
from typing import Final

MAX_SQL_CHARS: Final = 16_384
MAX_NESTING: Final = 64

# Alternation order matters: quoted constructs and comments are consumed whole, so the
# brackets inside them never reach the depth counter. Every branch is linear (disjoint
# first characters inside the repetitions, lazy scans that stop at the first terminator
# or at the end of input), so the scan is O(n) even on unterminated quotes.
_TOKEN: Final = re.compile(
    r"""
      [Ee]'(?:[^'\\]|\\.|'')*'?                      # E'...' with backslash escapes
    | '(?:[^']|'')*'?                                # '...'
    | "(?:[^"]|"")*"?                                # "quoted identifier"
    | (?<![A-Za-z0-9_$])\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*|)\$.*?(?:\$(?P=tag)\$|\Z)
    | --[^\n]*                                       # line comment
    | /\*.*?(?:\*/|\Z)                               # block comment
    | (?P<open>[(\[])
    | (?P<close>[)\]])
    """,
    re.VERBOSE | re.DOTALL,
)


def too_large(sql: str) -> str | None:
    """Return why `sql` is too big or too deep to parse, or None when it may be parsed."""
    if len(sql) > MAX_SQL_CHARS:
        return (
            f"the statement is {len(sql)} characters long; "
            f"at most {MAX_SQL_CHARS} characters are accepted"
        )
    if sql.count("(") + sql.count("[") <= MAX_NESTING:
        return None  # cannot nest deeper than it has brackets; skips the scan for most SQL
    depth = 0
    for match in _TOKEN.finditer(sql):
        if match.group("open") is not None:
            depth += 1
            if depth > MAX_NESTING:
                return f"the statement nests brackets more than {MAX_NESTING} levels deep"
        elif match.group("close") is not None:
            # Unbalanced closers are the parser's problem; never let them buy extra depth.
            depth = max(depth - 1, 0)
    return None
