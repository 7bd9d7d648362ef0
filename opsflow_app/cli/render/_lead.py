"""The words that answer the question, per intent, before any table or chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rich.table import Table

from opsflow.errors import UnknownCiError
from opsflow.models import GraphBlock, OrchestrationResult, Status, TableBlock
from opsflow.names import Intent, ToolName
from opsflow.planner.intents import ParsedQuestion, detect_intent
from opsflow_app.cli.render._graph import walk
from opsflow_app.cli.render._text import cell, clock_text, fit_widths, number, plural, unit_for

ROOT_CAUSE_INTENTS = {Intent.WHY_SLOW, Intent.WHY_FAILING, Intent.WHAT_CHANGED, Intent.INVESTIGATE}
ROOT_CAUSE_TABLE = "Root-cause candidates"
EVIDENCE_SHOWN = 4


@dataclass(frozen=True)
class Bullet:
    """One item of a list, printed with a hanging indent (wrapped lines align with it)."""

    text: str


@dataclass
class Lead:
    """What the lead printed, so the block pass does not print it again."""

    lines: list[str | Bullet] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    consumed_titles: set[str] = field(default_factory=set)


def parsed_question(result: OrchestrationResult) -> ParsedQuestion | None:
    """The question read the way the rule planner reads it (intent, metric, window)."""
    names = [rc.ci for rc in result.root_causes]
    for block in result.blocks:
        if isinstance(block, GraphBlock):
            names += block.nodes
    if result.focus_ci:
        names.append(result.focus_ci)
    try:
        return detect_intent(result.question, names)
    except UnknownCiError:
        return None


def intent_of(result: OrchestrationResult, parsed: ParsedQuestion | None) -> Intent | None:
    if result.intent:
        try:
            return Intent(result.intent)
        except ValueError:
            return None
    return parsed.intent if parsed else None


def build_lead(result: OrchestrationResult, day: date | None, width: int) -> Lead:
    lead = Lead()
    if result.status is Status.FAILURE and result.error_code:
        lead.lines.append(f"No answer: {result.error_message} ({result.error_code}).")
        return lead
    parsed = parsed_question(result)
    intent = intent_of(result, parsed)
    if intent in (Intent.DEPENDENTS, Intent.DEPENDENCIES):
        _topology(result, intent, lead)
    elif intent is Intent.TOP_N:
        _top_n(result, parsed, day, lead, width)
    elif intent is Intent.ALERT_COUNTS:
        _alert_counts(result, lead)
    elif intent in (Intent.ALERTS, Intent.HEALTH):
        _overview(result, intent, lead)
    elif intent is Intent.WHAT_CHANGED:
        _changes(result, day, lead)
        _root_causes(result, day, lead)
    else:
        _root_causes(result, day, lead)
    return lead


def _graph(result: OrchestrationResult) -> GraphBlock | None:
    return next((b for b in result.blocks if isinstance(b, GraphBlock)), None)


def _topology(result: OrchestrationResult, intent: Intent, lead: Lead) -> None:
    graph = _graph(result)
    focus = result.focus_ci or (graph.highlight[0] if graph and graph.highlight else None)
    if focus is None:
        lead.lines.append("The question names no configuration item to walk from.")
        return
    dependents = intent is Intent.DEPENDENTS
    reached = walk(graph.edges if graph else [], focus, dependents=dependents)
    if graph is not None:
        lead.consumed_titles.add(graph.title)
    if not reached:
        lead.lines.append(
            f"Nothing depends on {focus}."
            if dependents
            else f"{focus} depends on nothing recorded in the topology."
        )
        return
    direct = sum(1 for r in reached if r.via is None)
    if dependents:
        head = f"{plural(len(reached), 'CI')} depend on {focus} ({direct} directly):"
    else:
        head = f"{focus} depends on {plural(len(reached), 'CI')} ({direct} directly):"
    lead.lines.append(head)
    lead.lines += [Bullet(r.name + (f" (through {r.via})" if r.via else "")) for r in reached]


def _first_table(result: OrchestrationResult, prefix: str) -> TableBlock | None:
    return next(
        (b for b in result.blocks if isinstance(b, TableBlock) and b.title.startswith(prefix)),
        None,
    )


def _top_n(
    result: OrchestrationResult,
    parsed: ParsedQuestion | None,
    day: date | None,
    lead: Lead,
    width: int,
) -> None:
    block = _first_table(result, "Query result")
    metric = parsed.metric if parsed else None
    unit = unit_for(metric)
    what = f"{metric} ({unit})" if metric and unit else metric or "value"
    if block is None or not block.rows:
        replaced = next(
            (f for f in result.fallbacks if f.tool_attempted == ToolName.DIRECT_QUERY), None
        )
        if replaced is not None and replaced.tool_used_fallback:
            lead.lines.append(
                f"The ranking query did not run ({replaced.reason}); {replaced.tool_used_fallback}"
                f" answered instead: {what} per CI below, not ranked."
            )
        else:
            lead.lines.append(f"No CI reported {what} in the window: nothing to rank.")
        return
    lead.consumed_titles.add(block.title)
    window = f" over the last {parsed.window_minutes} min" if parsed else ""
    columns = [c.lower() for c in block.columns]
    name_at = columns.index("name") if "name" in columns else 0
    value_cols = [i for i, c in enumerate(columns) if "avg" in c or "max" in c or "value" in c]
    first = block.rows[0]
    top_value = (
        f" at {cell(first[value_cols[0]], day)}{' ' + unit if unit and unit != '%' else unit}"
        if value_cols
        else ""
    )
    kind = f" {parsed.ci_type.replace('_', ' ')}s" if parsed and parsed.ci_type else ""
    lead.lines.append(
        f"Top {len(block.rows)}{kind} by {what}{window}: {first[name_at]} leads{top_value}."
    )
    table = Table(title=f"Ranked by {what}", title_justify="left")
    table.add_column("#", justify="right")
    rows = [[cell(v, day) for v in row] for row in block.rows]
    labels = [_label(c, i in value_cols, unit) for i, c in enumerate(block.columns)]
    widths = fit_widths(["#", *labels], [[str(n), *r] for n, r in enumerate(rows, 1)], width)
    table.columns[0].width = widths[0]
    for i, label in enumerate(labels):
        table.add_column(
            label,
            overflow="fold",
            justify="right" if i in value_cols else "left",
            width=widths[i + 1],
        )
    for rank, row in enumerate(rows, start=1):
        table.add_row(str(rank), *row)
    lead.tables.append(table)


def _label(column: str, is_value: bool, unit: str) -> str:
    label = column.replace("_value", "").replace("_", " ")
    return f"{label} ({unit})" if is_value and unit else label


def _alert_counts(result: OrchestrationResult, lead: Lead) -> None:
    block = _first_table(result, "Query result") or _first_table(result, "Events")
    if block is None or not block.rows:
        lead.lines.append("No alerts in the window.")
        return
    columns = [c.lower() for c in block.columns]
    if "alerts" in columns:
        at = columns.index("alerts")
        total = sum(int(r[at]) for r in block.rows if isinstance(r[at], int | float))
        top = block.rows[0]
        lead.lines.append(
            f"{plural(total, 'alert')} on {plural(block.total_rows or len(block.rows), 'CI')};"
            f" the most on {top[0]} ({top[at]})."
        )
    else:
        lead.lines.append(f"{block.total_rows or len(block.rows)} alerts in the window.")


def _overview(result: OrchestrationResult, intent: Intent, lead: Lead) -> None:
    events = _first_table(result, "Events")
    count = (events.total_rows or len(events.rows)) if events else 0
    parts = [f"{plural(count, 'alert')} or incidents in the window" if count else "no alerts"]
    if intent is Intent.HEALTH:
        inventory = _first_table(result, "Configuration items")
        if inventory is not None:
            parts.insert(0, plural(inventory.total_rows or len(inventory.rows), "CI"))
        leaders = _first_table(result, "Query result")
        if leaders is not None and leaders.rows:
            row = leaders.rows[0]
            value = number(float(row[1])) if isinstance(row[1], int | float) else row[1]
            parts.append(f"highest error rate: {row[0]} ({value} {unit_for('error_rate')})")
    text = "; ".join(parts) + "."
    lead.lines.append(text[0].upper() + text[1:])


CHANGE_KINDS = frozenset({"deploy", "config_change"})


def _changes(result: OrchestrationResult, day: date | None, lead: Lead) -> None:
    """The changes themselves first: that is what was asked."""
    events = next(
        (b for b in result.blocks if isinstance(b, TableBlock) and b.title.startswith("Events")),
        None,
    )
    if events is None:
        lead.lines.append("No change events were found in the window.")
        return
    columns = [c.lower() for c in events.columns]
    at = {name: columns.index(name) for name in ("ts", "ci", "kind", "message") if name in columns}
    if len(at) < len(("ts", "ci", "kind", "message")):
        return  # not the event table this lead knows how to read
    changes = [r for r in events.rows if r[at["kind"]] in CHANGE_KINDS]
    focus = f" on {result.focus_ci}" if result.focus_ci else ""
    if not changes:
        lead.lines.append(f"No deploy or configuration change{focus} in the window.")
    else:
        lead.lines.append(f"{plural(len(changes), 'change')}{focus} in the window:")
        lead.lines += [
            Bullet(f"{cell(r[at['ts']], day)} {r[at['kind']]} {r[at['ci']]}: {r[at['message']]}")
            for r in changes
        ]
    lead.lines.append("")


def _root_causes(result: OrchestrationResult, day: date | None, lead: Lead) -> None:
    lead.consumed_titles.add(ROOT_CAUSE_TABLE)
    if not result.root_causes:
        lead.lines.append("No root-cause candidate was ranked for this question.")
        return
    top = result.root_causes[0]
    lead.lines.append(f"Most likely cause: {top.ci} (score {top.score:.2f}).")
    for evidence in top.evidence[:EVIDENCE_SHOWN]:
        when = f"{cell(evidence.ts, day)} " if evidence.ts else ""
        lead.lines.append(Bullet(when + clock_text(evidence.description, day)))
    others = result.root_causes[1:]
    if others:
        table = Table(title="Other candidates", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("ci", overflow="fold")
        table.add_column("score", justify="right")
        table.add_column("strongest evidence", overflow="fold")
        for rank, rc in enumerate(others, start=2):
            first = clock_text(rc.evidence[0].description, day) if rc.evidence else ""
            table.add_row(str(rank), rc.ci, f"{rc.score:.2f}", first)
        lead.tables.append(table)
