"""Literal bounds on arguments that set the size of a result.

`generate_series(1, 1e10)` writes gigabytes of temporary files and `lpad('x', 10000000)`
sends megabytes per row, well within a statement timeout. Their size arguments must be
literals (or, for time series, spans between the same anchor) within fixed bounds, so
the cost is known before the query runs.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from sqlglot import exp

from opsflow.sql._names import fold
from opsflow.sql._policy import MAX_PAD_CHARS, MAX_SERIES_ROWS

_SECONDS: Final[dict[str, float]] = {
    "microsecond": 1e-6, "microseconds": 1e-6, "us": 1e-6,
    "millisecond": 1e-3, "milliseconds": 1e-3, "ms": 1e-3,
    "second": 1, "seconds": 1, "sec": 1, "secs": 1, "s": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60, "m": 60,
    "hour": 3600, "hours": 3600, "h": 3600, "hr": 3600, "hrs": 3600,
    "day": 86400, "days": 86400, "d": 86400,
    "week": 7 * 86400, "weeks": 7 * 86400, "w": 7 * 86400,
    # Upper bounds for spans, lower bounds would matter for steps: a step of one
    # month counts as 28 days, a span of one month as 31.
    "month": 28 * 86400, "months": 28 * 86400, "mon": 28 * 86400, "mons": 28 * 86400,
    "year": 365 * 86400, "years": 365 * 86400, "y": 365 * 86400, "yr": 365 * 86400,
}  # fmt: skip
_LONG_UNITS: Final = {"month": 31 * 86400, "mon": 31 * 86400, "year": 366 * 86400}
_PAIR: Final = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*([a-z]+)\s*")
# date_trunc can move a bound down by at most one unit.
_TRUNC_SLACK: Final[dict[str, float]] = {
    "microseconds": 1e-6, "milliseconds": 1e-3, "second": 1, "minute": 60, "hour": 3600,
    "day": 86400, "week": 7 * 86400, "month": 31 * 86400, "quarter": 92 * 86400,
    "year": 366 * 86400, "decade": 3660 * 86400,
}  # fmt: skip


def size_violation(node: exp.Expr) -> str | None:
    """Why `node`'s size argument is unbounded, or None (also for unrelated nodes)."""
    if isinstance(node, exp.GenerateSeries | exp.ExplodingGenerateSeries):
        return _series_violation(node)
    if isinstance(node, exp.Pad):
        return _chars_violation("lpad/rpad", node.args.get("expression"))
    if isinstance(node, exp.Repeat):
        return _chars_violation("repeat", node.args.get("times"))
    return None


def _chars_violation(name: str, size: exp.Expr | None) -> str | None:
    value = _number(size)
    if value is None or value > MAX_PAD_CHARS:
        return f"{name} needs a literal length of at most {MAX_PAD_CHARS}"
    return None


def _series_violation(node: exp.Expr) -> str | None:
    start, end, step = node.args.get("start"), node.args.get("end"), node.args.get("step")
    rows = _numeric_rows(start, end, step)
    if rows is None:
        rows = _time_rows(start, end, step)
    if rows is None:
        return (
            "generate_series needs literal bounds (numbers, or times such as "
            "now() - interval '1 day' and now() with a literal interval step)"
        )
    if rows > MAX_SERIES_ROWS:
        return (
            f"generate_series would return {rows:.0f} rows; at most {MAX_SERIES_ROWS} are allowed"
        )
    return None


def _number(node: exp.Expr | None) -> Decimal | None:
    negative = False
    while isinstance(node, exp.Paren | exp.Neg):
        if isinstance(node, exp.Neg):
            negative = not negative
        node = node.this
    if not isinstance(node, exp.Literal) or node.is_string:
        return None
    text = str(node.this)
    if len(text) > 40:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return -value if negative else value


def _numeric_rows(
    start: exp.Expr | None, end: exp.Expr | None, step: exp.Expr | None
) -> float | None:
    low, high = _number(start), _number(end)
    if low is None or high is None:
        return None
    increment = Decimal(1) if step is None else _number(step)
    if increment is None or increment == 0:
        return None
    count = (high - low) / increment
    return max(float(count), 0.0) + 1


def _time_rows(start: exp.Expr | None, end: exp.Expr | None, step: exp.Expr | None) -> float | None:
    every = _interval_seconds(step, long_units=False)
    if every is None or every <= 0:
        return None
    begin, finish = _time_point(start), _time_point(end)
    if begin is None or finish is None or begin[0] != finish[0]:
        return None
    span = abs(finish[1] - begin[1]) + begin[2] + finish[2]
    return span / every + 1


def _time_point(node: exp.Expr | None) -> tuple[str, float, float] | None:
    """(anchor, offset seconds, slack seconds): `now() - interval '1 day'` is
    ('CURRENT_TIMESTAMP', -86400, 0); a literal timestamp is ('epoch', its seconds, 0)."""
    offset = 0.0
    slack = 0.0
    while node is not None:
        if isinstance(node, exp.Paren):
            node = node.this
        elif isinstance(node, exp.Add | exp.Sub):
            seconds = _interval_seconds(node.expression, long_units=True)
            if seconds is None:
                return None
            offset += seconds if isinstance(node, exp.Add) else -seconds
            node = node.this
        elif isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
            unit = node.args.get("unit")
            slack += _TRUNC_SLACK.get(str(getattr(unit, "name", unit) or "").lower(), 366 * 86400)
            node = node.this
        elif isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
            moment = _timestamp(node.this)
            return None if moment is None else ("epoch", moment + offset, slack)
        elif isinstance(node, exp.CurrentTimestamp):
            return ("now", offset, slack)
        elif isinstance(node, exp.CurrentDate):
            return ("now", offset, slack + 86400)  # today's midnight: up to a day before now
        else:
            return None
    return None


def _timestamp(literal: exp.Literal) -> float | None:
    if not literal.is_string:
        return None
    try:
        return datetime.fromisoformat(str(literal.this).strip()).timestamp()
    except ValueError:
        return None


def _interval_seconds(node: exp.Expr | None, *, long_units: bool) -> float | None:
    """Seconds in an interval literal (`interval '5 minutes'`, `'1 hour'::interval`)."""
    while isinstance(node, exp.Paren):
        node = node.this
    text: str
    if isinstance(node, exp.Interval) and isinstance(node.this, exp.Literal):
        unit = node.args.get("unit")
        text = f"{node.this.this} {unit.name if unit is not None else ''}".strip()
    elif (
        isinstance(node, exp.Cast)
        and isinstance(node.this, exp.Literal)
        and node.to.this == exp.DataType.Type.INTERVAL
    ):
        text = str(node.this.this)
    else:
        return None
    text = text.lower()
    if len(text) > 100:
        return None
    total = 0.0
    position = 0
    for match in _PAIR.finditer(text):
        if match.start() != position:
            return None
        amount, unit = float(match.group(1)), match.group(2)
        factor = _SECONDS.get(unit)
        if factor is None:
            return None
        if long_units:
            factor = _LONG_UNITS.get(unit.rstrip("s"), factor)
        total += amount * factor
        position = match.end()
    if position != len(text) or position == 0:
        return None
    return total


# Functions whose result can be many times longer than their input.
_AMPLIFIERS: Final[tuple[type[exp.Expr], ...]] = (exp.Repeat, exp.Replace, exp.RegexpReplace)


def recursive_growth_violation(
    name: str, body: exp.Expr, columns: tuple[str, ...] | None
) -> str | None:
    """Why the recursive term of CTE `name` can grow a value exponentially, or None.

    `WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r ...)` doubles a
    string each round: 30 rounds make a gigabyte, in a few uninterruptible copies that
    outlast the statement timeout. A selected expression of the recursive term may
    therefore use the CTE's own columns at most once, and never inside repeat/replace/
    regexp_replace; linear growth (`path || r.id`, `depth + 1`) stays allowed. Growth in
    the number of rows is left to the database (each row is interruptible and spills to
    temporary files, which temp_file_limit bounds).
    """
    while isinstance(body, exp.Subquery):
        body = body.this
    if not isinstance(body, exp.SetOperation):
        return None
    recursive = body.expression
    while isinstance(recursive, exp.Subquery):
        recursive = recursive.this
    if not isinstance(recursive, exp.Select):
        return None
    refs = _self_refs(recursive, name)
    if not refs:
        return None
    own = frozenset(columns or ())
    for projection in recursive.expressions:
        uses = [
            column
            for column in projection.find_all(exp.Column)
            if _is_self_column(column, refs, own)
        ]
        if len(uses) > 1:
            return (
                f"the recursive part of CTE {name[:64]!r} uses its own columns more than "
                "once in one expression, which can double a value every round"
            )
        for amplifier in projection.find_all(*_AMPLIFIERS):
            if any(_is_self_column(c, refs, own) for c in amplifier.find_all(exp.Column)):
                return (
                    f"the recursive part of CTE {name[:64]!r} passes its own columns to "
                    "repeat/replace/regexp_replace, which can grow a value every round"
                )
    return None


def _self_refs(select: exp.Select, name: str) -> frozenset[str]:
    found = set()
    items = [select.args["from_"].this] if select.args.get("from_") is not None else []
    items += [join.this for join in select.args.get("joins") or ()]
    for item in items:
        if (
            isinstance(item, exp.Table)
            and isinstance(item.this, exp.Identifier)
            and item.args.get("db") is None
            and fold(item.this) == name
        ):
            alias = item.args.get("alias")
            found.add((fold(alias.this) if alias is not None else None) or name)
    return frozenset(found)


def _is_self_column(column: exp.Column, refs: frozenset[str], own: frozenset[str]) -> bool:
    qualifier = fold(column.args.get("table"))
    if qualifier is not None:
        return qualifier in refs
    return (fold(column.this) or "") in own
