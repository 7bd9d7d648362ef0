"""The template summary: a readable answer from the findings alone, no LLM needed."""

from __future__ import annotations

from opsflow.models import Findings, StepState


def template_summary(question: str, findings: Findings, steps: list[StepState]) -> str:
    lines = [f"**Question:** {question}"]
    if findings.root_causes:
        top = findings.root_causes[0]
        lines.append(f"**Most likely cause:** `{top.ci}` (score {top.score:.2f}).")
        for evidence in top.evidence[:4]:
            cite = f" [{evidence.step_id}]" if evidence.step_id else ""
            lines.append(f"- {evidence.description}{cite}")
        others = ", ".join(f"`{rc.ci}` ({rc.score:.2f})" for rc in findings.root_causes[1:4])
        if others:
            lines.append(f"Other candidates: {others}.")
        if findings.path and len(findings.path) > 1:
            lines.append("Dependency path: " + " → ".join(findings.path) + ".")
    elif findings.anomalies:
        lines.append("Anomalies were found but none ranks as a cause.")
    else:
        lines.append("No anomaly against baseline was found: no cause to report.")
    for note in findings.notes[:3]:
        lines.append(f"_{note}_")
    missing = [s for s in steps if not s.has_result]
    if missing:
        parts = ", ".join(f"`{s.id}` ({s.reason or s.status.value})" for s in missing)
        lines.append(f"**Missing:** {parts}.")
    return "\n".join(lines)
