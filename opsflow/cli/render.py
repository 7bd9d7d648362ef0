"""Terminal rendering of an answer with rich (the ``--json`` path prints the model)."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table

from opsflow.models import (
    GraphBlock,
    MarkdownBlock,
    OrchestrationResult,
    ReferencesBlock,
    TableBlock,
    TimeseriesBlock,
)

_STATUS_STYLE = {
    "success": "green",
    "degraded": "yellow",
    "partial_success": "dark_orange",
    "failure": "red",
}
_SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 60) -> str:
    if not values:
        return ""
    step = max(1, len(values) // width)
    sampled = values[::step]
    low, high = min(sampled), max(sampled)
    span = (high - low) or 1.0
    return "".join(_SPARKS[int((v - low) / span * (len(_SPARKS) - 1))] for v in sampled)


def render(result: OrchestrationResult, console: Console) -> None:
    style = _STATUS_STYLE.get(result.status.value, "white")
    header = (
        f"[bold]{result.question}[/bold]\n"
        f"tenant {result.tenant_id} · status [{style}]{result.status.value}[/{style}]"
        f" · planner {result.planner} · {result.phase_timings_ms.get('total', 0):.0f} ms"
    )
    if result.error_code:
        header += f"\n[red]{result.error_code}: {result.error_message}[/red]"
    console.print(Panel(header, title=result.workflow_id, expand=False))
    for block in result.blocks:
        if isinstance(block, MarkdownBlock):
            console.print(Markdown(block.text))
        elif isinstance(block, TableBlock):
            table = Table(title=block.title, show_lines=False)
            for column in block.columns:
                table.add_column(column)
            for row in block.rows:
                table.add_row(*[str(v) for v in row])
            console.print(table)
            if block.total_rows > len(block.rows):
                console.print(f"  … {block.total_rows - len(block.rows)} more rows")
        elif isinstance(block, TimeseriesBlock):
            console.print(f"[bold]{block.title}[/bold]")
            for line in block.series:
                values = [v for _, v in line.points]
                console.print(f"  {line.name:<40} {sparkline(values)}")
            for marker in block.markers:
                console.print(f"  ▲ {marker.ts:%H:%M} {marker.label}")
        elif isinstance(block, GraphBlock):
            console.print(f"[bold]{block.title}[/bold]")
            if block.highlight:
                console.print("  " + " → ".join(block.highlight))
            console.print(f"  ({len(block.nodes)} CIs, {len(block.edges)} dependencies)")
        elif isinstance(block, ReferencesBlock):
            refs = ", ".join(r.label for r in block.items)
            console.print(f"[dim]Sources: {refs}[/dim]")
    if result.fallbacks:
        for fb in result.fallbacks:
            console.print(
                f"[yellow]fallback[/yellow] {fb.tool_attempted} → {fb.tool_used_fallback or 'none'}"
                f" ({fb.reason})"
            )
    if result.ui_url:
        console.print(f"[dim]Temporal UI: {result.ui_url}[/dim]")
