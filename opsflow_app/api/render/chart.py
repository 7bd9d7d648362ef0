"""A timeseries block as SVG line charts: time axis (UTC), value axis with its unit, the
reference time and each change event marked. One chart per unit, so no axis mixes
milliseconds with percentages."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from opsflow.models import Marker, SeriesLine, TimeseriesBlock
from opsflow.utc import epoch
from opsflow_app.api.render.svg import num, tag, text
from opsflow_app.api.render.units import metric_of, unit_for

WIDTH, HEIGHT = 760.0, 300.0
LEFT, RIGHT, TOP, BOTTOM = 70.0, 20.0, 34.0, 62.0
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")
REFERENCE_COLOR = "#c00000"
CHANGE_COLOR = "#e67e00"
MARKER_ROW = 15.0


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 5 times a power of ten apart)."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high:
        ticks.append(round(first + len(ticks) * step, 10))
    return ticks


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """As many decimals as the tick step needs (0.02, not 0), none when it is whole."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else abs(value) or 1.0
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:.{decimals}f}"


def _time_label(ts: float, with_date: bool) -> str:
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%m-%d %H:%M" if with_date else "%H:%M")


def _time_ticks(low: float, high: float) -> list[float]:
    span = max(high - low, 60.0)
    steps = (60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
    step = next((s for s in steps if span / s <= 7), 86400 * math.ceil(span / 86400 / 7))
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) // step) + 1)]


def _anchor(x: float) -> str:
    """Labels near an edge grow inwards, so they are not cut off."""
    if x > WIDTH - RIGHT - 60:
        return "end"
    return "start" if x < LEFT + 60 else "middle"


def render_chart(
    series: Sequence[SeriesLine],
    markers: Sequence[Marker],
    reference_time: datetime | None,
    unit: str,
    title: str,
) -> str:
    points = [(epoch(ts), v) for line in series for ts, v in line.points]
    stamps = [t for t, _ in points]
    if reference_time is not None:
        stamps.append(epoch(reference_time))
    stamps += [epoch(m.ts) for m in markers]
    t_low, t_high = min(stamps), max(stamps)
    if t_high <= t_low:
        t_high = t_low + 60.0
    values = [v for _, v in points] or [0.0]
    y_ticks = nice_ticks(min(0.0, min(values)), max(values))
    y_low, y_high = y_ticks[0], y_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(ts: float) -> float:
        return LEFT + (ts - t_low) / (t_high - t_low) * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - (value - y_low) / ((y_high - y_low) or 1.0) * plot_h

    parts = [text(title, x=LEFT, y=18.0, class_="chart-title")]
    for tick in y_ticks:
        parts.append(tag("line", x1=LEFT, x2=WIDTH - RIGHT, y1=y(tick), y2=y(tick), class_="grid"))
        label = tick_label(tick, y_ticks)
        parts.append(text(label, x=LEFT - 6, y=y(tick) + 4, text_anchor="end", class_="tick"))
    x_ticks = _time_ticks(t_low, t_high)
    for i, tick in enumerate(x_ticks):
        parts.append(
            tag("line", x1=x(tick), x2=x(tick), y1=TOP + plot_h, y2=TOP + plot_h + 5, class_="axis")
        )
        label = _time_label(tick, with_date=i == 0)
        parts.append(
            text(label, x=x(tick), y=TOP + plot_h + 18, text_anchor="middle", class_="tick")
        )
    parts.append(tag("line", x1=LEFT, x2=LEFT, y1=TOP, y2=TOP + plot_h, class_="axis"))
    parts.append(
        tag("line", x1=LEFT, x2=WIDTH - RIGHT, y1=TOP + plot_h, y2=TOP + plot_h, class_="axis")
    )
    parts.append(
        text(
            "time (UTC)",
            x=LEFT + plot_w / 2,
            y=HEIGHT - 26,
            text_anchor="middle",
            class_="axis-label",
        )
    )
    parts.append(
        text(
            unit,
            x=16.0,
            y=TOP + plot_h / 2,
            text_anchor="middle",
            class_="axis-label y-unit",
            transform=f"rotate(-90 16 {num(TOP + plot_h / 2)})",
        )
    )
    # Changes are numbered on their lines and spelt out under the chart: labels beside the
    # lines overlap as soon as two changes are minutes apart.
    for number, marker in enumerate(markers, start=1):
        mx = x(epoch(marker.ts))
        parts.append(
            tag(
                "line",
                x1=mx,
                x2=mx,
                y1=TOP,
                y2=TOP + plot_h,
                stroke=CHANGE_COLOR,
                stroke_dasharray="5 3",
                class_="change-marker",
            )
        )
        parts.append(
            text(
                str(number),
                x=mx,
                y=TOP + 10 + 11 * ((number - 1) % 3),
                text_anchor="middle",
                fill=CHANGE_COLOR,
                class_="marker-number",
            )
        )
        when = _time_label(epoch(marker.ts), with_date=False)
        parts.append(
            text(
                f"{number}  {when}  {marker.label}",
                x=LEFT,
                y=HEIGHT + MARKER_ROW * number,
                fill=CHANGE_COLOR,
                class_="marker-label",
            )
        )
    if reference_time is not None:
        rx = x(epoch(reference_time))
        parts.append(
            tag(
                "line",
                x1=rx,
                x2=rx,
                y1=TOP - 6,
                y2=TOP + plot_h,
                stroke=REFERENCE_COLOR,
                stroke_width=2.0,
                class_="reference-time",
            )
        )
        parts.append(
            text(
                "reference " + _time_label(epoch(reference_time), with_date=False),
                x=rx,
                y=TOP - 8,
                text_anchor=_anchor(rx),
                fill=REFERENCE_COLOR,
                class_="marker-label",
            )
        )
    legend_x = LEFT
    for i, line in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{num(x(epoch(ts)))},{num(y(v))}" for ts, v in line.points)
        if coords:
            parts.append(
                tag(
                    "polyline",
                    points=coords,
                    fill="none",
                    stroke=color,
                    stroke_width=1.8,
                    class_="series",
                )
            )
        parts.append(tag("rect", x=legend_x, y=HEIGHT - 14, width=12.0, height=4.0, fill=color))
        parts.append(text(line.name, x=legend_x + 16, y=HEIGHT - 9, class_="legend"))
        legend_x += 24 + 7 * len(line.name)
    return tag(
        "svg",
        "".join(parts),
        xmlns="http://www.w3.org/2000/svg",
        class_="chart",
        viewBox=f"0 0 {num(WIDTH)} {num(HEIGHT + MARKER_ROW * len(markers) + 6)}",
        role="img",
        aria_label=title,
    )


def render_timeseries(block: TimeseriesBlock, reference_time: datetime | None) -> str:
    """One chart per unit among the block's series, each with every marker."""
    by_unit: dict[str, list[SeriesLine]] = {}
    for line in block.series:
        by_unit.setdefault(unit_for(metric_of(line.name)), []).append(line)
    charts = []
    for unit, lines in by_unit.items():
        metrics = sorted({metric_of(line.name) for line in lines})
        title = f"{block.title or 'Timeseries'}: {', '.join(metrics)} ({unit})"
        charts.append(render_chart(lines, block.markers, reference_time, unit, title))
    return "".join(charts)
