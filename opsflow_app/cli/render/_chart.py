"""A key series drawn as text: value scale on the left, time axis below, change markers
placed on that axis (numbered in time order, explained in a legend under the chart)."""

from __future__ import annotations

from datetime import date, datetime

from opsflow.models import Marker, SeriesLine
from opsflow_app.cli.render._text import as_utc, clock, number

_EIGHTHS = " ▁▂▃▄▅▆▇█"
HEIGHT = 5


def _columns(points: list[tuple[datetime, float]], width: int) -> list[float | None]:
    """Bucket points by time into ``width`` columns, keeping each column's peak."""
    start, end = as_utc(points[0][0]), as_utc(points[-1][0])
    span = (end - start).total_seconds() or 1.0
    cols: list[float | None] = [None] * width
    for ts, value in points:
        col = min(width - 1, int((as_utc(ts) - start).total_seconds() / span * (width - 1) + 0.5))
        current = cols[col]
        cols[col] = value if current is None else max(current, value)
    # More columns than points: hold the last value so the line has no holes.
    for i in range(1, width):
        if cols[i] is None:
            cols[i] = cols[i - 1]
    return cols


def _column_of(ts: datetime, start: datetime, end: datetime, width: int) -> int:
    span = (end - start).total_seconds() or 1.0
    offset = (as_utc(ts) - start).total_seconds() / span * (width - 1) + 0.5
    return max(0, min(width - 1, int(offset)))


def draw(
    line: SeriesLine, markers: list[Marker], *, width: int, day: date | None, unit: str
) -> list[str]:
    """Text rows of the chart; every row is at most ``width`` characters."""
    points = sorted(line.points, key=lambda p: as_utc(p[0]))
    if not points:
        return [f"{line.name}: no points"]
    values = [v for _, v in points]
    low, high = min(values), max(values)
    suffix = f" {unit}" if unit and unit != "%" else unit
    top_label, low_label = number(high) + suffix, number(low) + suffix
    label_w = max(len(top_label), len(low_label))
    plot_w = max(10, width - label_w - 2)
    cols = _columns(points, plot_w)
    span = (high - low) or 1.0
    levels = HEIGHT * 8
    rows: list[str] = []
    for row in range(HEIGHT):
        floor = (HEIGHT - 1 - row) * 8
        chars = []
        for value in cols:
            if value is None:
                chars.append(" ")
                continue
            level = 1 + round((value - low) / span * (levels - 1))
            chars.append(_EIGHTHS[max(0, min(8, level - floor))])
        label = top_label if row == 0 else low_label if row == HEIGHT - 1 else ""
        tick = "┤" if label else "│"
        rows.append(f"{label:>{label_w}} {tick}{''.join(chars)}".rstrip())
    start, end = as_utc(points[0][0]), as_utc(points[-1][0])
    ordered = sorted(markers, key=lambda m: as_utc(m.ts))
    axis = ["─"] * plot_w
    numbers = [" "] * plot_w
    for index, marker in enumerate(ordered, start=1):
        col = _column_of(marker.ts, start, end, plot_w)
        axis[col] = "┴"
        tag = str(index)
        while col < plot_w and numbers[col] != " ":
            col += 1  # two markers in one column: the later one moves right
        for offset, char in enumerate(tag):
            if col + offset < plot_w:
                numbers[col + offset] = char
    pad = " " * (label_w + 1)
    rows.append(f"{pad}└{''.join(axis)}")
    if ordered:
        rows.append(f"{pad} {''.join(numbers)}".rstrip())
    first, last = clock(start, day), clock(end, day)
    gap = max(1, plot_w - len(first) - len(last))
    rows.append(f"{pad} {first}{' ' * gap}{last}")
    for index, marker in enumerate(ordered, start=1):
        rows.append(f"{pad} {index} at {clock(marker.ts, day)}: {marker.label}")
    return rows
