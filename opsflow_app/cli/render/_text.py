"""Small formatting rules shared by the renderer: clock times, units, numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# Units of the metrics the tools report (seed and importer use the same names).
UNITS = {
    "cpu": "%",
    "memory": "%",
    "latency_p95": "ms",
    "error_rate": "errors/request",
    "rps": "req/s",
}

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def unit_for(metric: str | None) -> str:
    if not metric:
        return ""
    return UNITS.get(metric.rsplit(".", 1)[-1], "")


def as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def clock(ts: datetime, day: date | None) -> str:
    """HH:MM on the answer's day (stated once in the header); the date only when it differs."""
    moment = as_utc(ts)
    if day is None or moment.date() == day:
        return f"{moment:%H:%M}"
    return f"{moment:%m-%d %H:%M}"


def parse_time(value: object) -> datetime | None:
    """A table cell that holds a timestamp (a datetime or ISO text), else None."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO.match(value.strip()):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def number(value: float) -> str:
    """Short, stable number text: no float noise, thousands kept readable."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


_ISO_IN_TEXT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def clock_text(text: str, day: date | None) -> str:
    """Free text (evidence, messages) with its ISO stamps shortened like every other time."""

    def short(match: re.Match[str]) -> str:
        moment = parse_time(match.group(0).replace(" ", "T", 1))
        return clock(moment, day) if moment is not None else match.group(0)

    return _ISO_IN_TEXT.sub(short, text)


def cell(value: object, day: date | None) -> str:
    moment = parse_time(value)
    if moment is not None:
        return clock(moment, day)
    if isinstance(value, float):
        return number(value)
    return "" if value is None else clock_text(str(value), day)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


NAME_COLUMNS = frozenset({"ci", "name"})
# Free-text columns give up room down to this before a name column wraps.
TEXT_FLOOR = 12


def fit_widths(columns: list[str], rows: list[list[str]], width: int) -> list[int]:
    """Content width per column so the table fits ``width`` with names kept whole first.

    Every column starts at its widest cell; while too wide, free-text columns shrink to
    ``TEXT_FLOOR``, then the widest column shrinks. Cells wrap (``overflow="fold"``), never
    lose characters."""
    widths = [
        max([len(columns[i])] + [len(r[i]) for r in rows if i < len(r)])
        for i in range(len(columns))
    ]
    budget = width - (3 * len(columns) + 1)  # borders and one space of padding each side
    names = {i for i, c in enumerate(columns) if c.lower() in NAME_COLUMNS}
    while sum(widths) > budget:
        texts = [i for i in range(len(widths)) if i not in names and widths[i] > TEXT_FLOOR]
        pool = texts or list(range(len(widths)))
        widest = max(pool, key=lambda i: widths[i])
        if widths[widest] <= 1:
            break
        widths[widest] -= 1
    return widths
