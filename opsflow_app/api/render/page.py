"""Whole pages: the layout, the question box, the login form, the answer and its progress."""

from __future__ import annotations

from html import escape

from opsflow.models import OrchestrationResult, Progress, RootCause, StepState
from opsflow.models.findings import Diagnosis
from opsflow_app.api.render.blocks import render_block, table
from opsflow_app.api.schemas import ListedQuestion


def layout(title: str, body: str, *, tenant: str | None = None, script: bool = False) -> str:
    who = (
        f'<span class="tenant">{escape(tenant)}</span> <a href="/logout">log out</a>'
        if tenant
        else '<a href="/login">log in</a>'
    )
    js = '<script src="/static/live.js" defer></script>' if script else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} · OpsFlow</title><link rel="stylesheet" href="/static/app.css">'
        f'{js}</head><body><header><a class="brand" href="/">OpsFlow</a><nav>{who}</nav>'
        f"</header><main>{body}</main></body></html>"
    )


def login_page(next_url: str, error: str | None = None) -> str:
    problem = f'<p class="error">{escape(error)}</p>' if error else ""
    body = (
        f"<h1>Log in</h1>{problem}"
        '<form method="post" action="/login" class="login">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        '<label>API key <input type="password" name="key" autocomplete="current-password" '
        'required autofocus></label> <button type="submit">Log in</button></form>'
    )
    return layout("Log in", body)


def index_page(tenant: str, recent: list[ListedQuestion], error: str | None = None) -> str:
    problem = f'<p class="error">{escape(error)}</p>' if error else ""
    rows = "".join(
        f'<tr><td><a href="/q/{escape(q.workflow_id)}">{escape(q.question or q.workflow_id)}</a>'
        f'</td><td><span class="status status-{escape(q.status or "")}">'
        f"{escape(q.status or '-')}</span></td>"
        f"<td>{escape(q.started.strftime('%Y-%m-%d %H:%M:%S'))}</td></tr>"
        for q in recent
    )
    listing = (
        f"<h2>Recent questions</h2><table><thead><tr><th>question</th><th>status</th>"
        f"<th>started (UTC)</th></tr></thead><tbody>{rows}</tbody></table>"
        if recent
        else ""
    )
    body = (
        f"<h1>Ask an operations question</h1>{problem}"
        '<form method="post" action="/ask" class="ask">'
        '<input type="text" name="question" maxlength="2000" required autofocus '
        'placeholder="why is payments-api slow?">'
        '<label>at (optional) <input type="text" name="at" placeholder="2026-11-29T08:00Z">'
        '</label> <button type="submit">Ask</button></form>'
        f"{listing}"
    )
    return layout("Ask", body, tenant=tenant)


def _steps_table(steps: list[StepState]) -> str:
    rows = [
        [
            s.id,
            s.capability,
            s.tool or "",
            s.status.value,
            s.attempts,
            "" if s.duration_ms is None else f"{s.duration_ms:.0f} ms",
            s.reason or "",
        ]
        for s in steps
    ]
    return table(
        ["step", "capability", "tool", "status", "attempts", "time", "reason"], rows, "steps"
    )


def progress_section(progress: Progress, events_url: str) -> str:
    return (
        f'<section id="progress" class="progress" data-events="{escape(events_url)}">'
        f'<h2>Progress: <span class="phase">{escape(progress.phase)}</span></h2>'
        f'<div class="steps-live">{_steps_table(progress.steps)}</div>'
        '<p class="note live-note">live: updates as steps change</p></section>'
    )


def running_page(
    tenant: str, workflow_id: str, question: str, progress: Progress, ui_url: str
) -> str:
    body = (
        f'<h1 class="question">{escape(question)}</h1>'
        f'<p class="meta"><span class="status status-running">running</span> '
        f'<code>{escape(workflow_id)}</code> · <a href="{escape(ui_url)}">Temporal UI</a></p>'
        + progress_section(progress, f"/v1/questions/{workflow_id}/events")
    )
    return layout(question, body, tenant=tenant, script=True)


def _evidence(candidates: list[RootCause]) -> str:
    if not candidates:
        return ""
    items = []
    for rank, rc in enumerate(candidates, start=1):
        rows = [
            [
                e.kind,
                e.description,
                e.metric or "",
                e.value,
                e.baseline,
                e.deviation,
                e.ts.strftime("%H:%M:%S") if e.ts else "",
                e.step_id or "",
            ]
            for e in rc.evidence
        ]
        evidence = (
            table(
                ["kind", "evidence", "metric", "value", "baseline", "z", "at (UTC)", "step"], rows
            )
            if rows
            else '<p class="note">no evidence recorded</p>'
        )
        items.append(
            f'<li class="candidate"><h3>#{rank} {escape(rc.ci)} '
            f'<span class="score">score {rc.score:.3f}</span></h3>{evidence}</li>'
        )
    return (
        '<section class="block candidates"><h2>Root-cause candidates and their evidence</h2>'
        f'<ol class="candidates">{"".join(items)}</ol></section>'
    )


def _diagnosis(diagnosis: Diagnosis | None) -> str:
    """What the root-cause analysis could judge: a short history lowers confidence."""
    if diagnosis is None or diagnosis.outcome is None:
        return ""
    symptom = {True: "shown", False: "not shown", None: "not judged"}[diagnosis.symptom_seen]
    return (
        f'<p class="diagnosis">Analysis: <b>{escape(diagnosis.outcome.value)}</b>; '
        f"{diagnosis.series_judged} series judged ({diagnosis.series_short} on a short "
        f"baseline), {diagnosis.series_skipped} too short to judge; the asked symptom: "
        f"{symptom}.</p>"
    )


def _missing(result: OrchestrationResult) -> str:
    parts = []
    if result.error_code:
        parts.append(
            f'<p class="error"><code>{escape(result.error_code)}</code> '
            f"{escape(result.error_message or '')}</p>"
        )
    if result.missing:
        items = "".join(
            f"<li><code>{escape(m.step_id)}</code>: {escape(m.reason)}"
            + (f" — {escape(m.detail)}" if m.detail else "")
            + "</li>"
            for m in result.missing
        )
        parts.append(f"<h3>Missing from this answer</h3><ul>{items}</ul>")
    if result.fallbacks:
        items = "".join(
            f"<li>{escape(f.tool_attempted)} → {escape(f.tool_used_fallback or 'nothing')}: "
            f"{escape(f.reason)}</li>"
            for f in result.fallbacks
        )
        parts.append(f"<h3>Fallbacks taken</h3><ul>{items}</ul>")
    if not parts:
        parts.append('<p class="note">Nothing is missing: every step produced its result.</p>')
    parts.append(_diagnosis(result.diagnosis))
    return f'<section class="block status-detail"><h2>Status</h2>{"".join(parts)}</section>'


def answer_page(tenant: str, result: OrchestrationResult) -> str:
    reference = (
        result.reference_time.strftime("%Y-%m-%d %H:%M:%S UTC") if result.reference_time else "-"
    )
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in result.phase_timings_ms.items())
    ui = (
        f' · <a class="temporal-ui" href="{escape(result.ui_url)}">Temporal UI</a>'
        if result.ui_url
        else ""
    )
    header = (
        f'<h1 class="question">{escape(result.question)}</h1>'
        f'<p class="meta"><span class="status status-{result.status.value}">'
        f"{escape(result.status.value)}</span> <code>{escape(result.workflow_id)}</code>"
        f" · reference time {escape(reference)} · planner {escape(result.planner)}{ui}"
        f' · <a href="/v1/questions/{escape(result.workflow_id)}">JSON</a></p>'
    )
    blocks = "".join(render_block(b, result.reference_time) for b in result.blocks)
    steps = (
        f'<section class="block"><h2>Steps</h2>{_steps_table(result.steps)}'
        f'<p class="note">phases: {escape(timings)}</p></section>'
    )
    body = header + _missing(result) + blocks + _evidence(result.root_causes) + steps
    return layout(result.question, body, tenant=tenant)
