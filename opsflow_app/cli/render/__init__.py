"""Terminal rendering of an answer (the ``--json`` path prints the full model instead).

Words first (the lead answers the question the way its intent asks), then the blocks the
lead did not already show, each once, fitted to the console width without cutting names
or times: times are HH:MM with the day stated once in the header."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from opsflow.models import (
    GraphBlock,
    MarkdownBlock,
    OrchestrationResult,
    ReferencesBlock,
    TableBlock,
    TimeseriesBlock,
)
from opsflow_app.cli.render._chart import draw
from opsflow_app.cli.render._lead import Bullet, build_lead
from opsflow_app.cli.render._text import as_utc, cell, fit_widths, unit_for

_STATUS_STYLE = {
    "success": "green",
    "degraded": "yellow",
    "partial_success": "dark_orange",
    "failure": "red",
}
ANSWER_TITLE = "Answer"


def _day(result: OrchestrationResult) -> date | None:
    return as_utc(result.reference_time).date() if result.reference_time else None


def _llm_wrote_summary(result: OrchestrationResult) -> bool:
    return any(u.purpose == "summary" and u.outcome == "ok" for u in result.llm_usage)


def _header(result: OrchestrationResult, day: date | None, console: Console) -> None:
    style = _STATUS_STYLE.get(result.status.value, "white")
    console.print(Text(result.question, style="bold"))
    when = f" · {day:%Y-%m-%d}, times UTC" if day else ""
    total = result.phase_timings_ms.get("total", 0)
    console.print(
        f"{result.tenant_id} · [{style}]{result.status.value}[/{style}] · planner"
        f" {result.planner} · {total:.0f} ms{when}"
    )
    console.print()


def _table(block: TableBlock, day: date | None, console: Console) -> None:
    table = Table(title=block.title, title_justify="left")
    rows = [[cell(v, day) for v in row] for row in block.rows]
    widths = fit_widths(block.columns, rows, console.width)
    for column, width in zip(block.columns, widths, strict=True):
        # Wrapped, never cut: the default ellipsis would lose names and times.
        table.add_column(column, overflow="fold", width=width)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if block.total_rows > len(block.rows):
        console.print(f"  … {block.total_rows - len(block.rows)} more rows (--json has them)")


def _series(block: TimeseriesBlock, day: date | None, console: Console) -> None:
    for index, line in enumerate(block.series):
        if index:
            console.print()
        unit = unit_for(line.name)
        console.print(Text(f"{block.title}: {line.name}" + (f" ({unit})" if unit else ""), "bold"))
        for row in draw(line, block.markers, width=console.width, day=day, unit=unit):
            console.print(Text(row), overflow="fold")


def _print_lines(lines: list[str | Bullet], console: Console) -> None:
    """Sentences as they are; runs of bullets as a grid so wrapped text keeps its indent."""
    bullets: list[Bullet] = []

    def flush() -> None:
        if bullets:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=3, justify="right")
            grid.add_column(overflow="fold")
            for bullet in bullets:
                grid.add_row("•", bullet.text)
            console.print(grid)
            bullets.clear()

    for line in lines:
        if isinstance(line, Bullet):
            bullets.append(line)
            continue
        flush()
        console.print(Text(line))
    flush()


def render(result: OrchestrationResult, console: Console) -> None:
    day = _day(result)
    _header(result, day, console)
    lead = build_lead(result, day, console.width)
    _print_lines(lead.lines, console)
    for table in lead.tables:
        console.print(table)
    for block in result.blocks:
        if block.title in lead.consumed_titles:
            continue
        if isinstance(block, MarkdownBlock):
            if block.title == ANSWER_TITLE and not _llm_wrote_summary(result):
                continue  # the template restates the findings the lead already showed
            console.print()
            console.print(Markdown(block.text))
        elif isinstance(block, TableBlock):
            console.print()
            _table(block, day, console)
        elif isinstance(block, TimeseriesBlock):
            console.print()
            _series(block, day, console)
        elif isinstance(block, GraphBlock):
            console.print()
            path = " → ".join(block.highlight) if block.highlight else ""
            console.print(
                Text(f"{block.title} ({len(block.nodes)} CIs): {path}".rstrip(": "), "bold")
            )
        elif isinstance(block, ReferencesBlock):
            console.print()
            console.print(Text("Sources: " + ", ".join(r.label for r in block.items), "dim"))
    for fb in result.fallbacks:
        console.print(
            f"[yellow]fallback[/yellow] {fb.tool_attempted} → {fb.tool_used_fallback or 'none'}"
            f" ({fb.reason})"
        )
    if result.ui_url:
        console.print(Text(f"Temporal UI: {result.ui_url}", "dim"), overflow="fold")
