"""The template summary: a readable answer from the findings alone, no LLM needed."""

from __future__ import annotations

from opsflow.models import Findings, StepState


def template_summary(question: str, findings: Findings, steps: list[StepState]) -> str:
    paragraphs = [f"**Question:** {question}"]
    if findings.root_causes:
        top = findings.root_causes[0]
        paragraphs.append(f"**Most likely cause:** `{top.ci}` (score {top.score:.2f}).")
        bullets = [
            f"- {e.description}" + (f" [{e.step_id}]" if e.step_id else "")
            for e in top.evidence[:4]
        ]
        if bullets:
            paragraphs.append("\n".join(bullets))
        others = ", ".join(f"`{rc.ci}` ({rc.score:.2f})" for rc in findings.root_causes[1:4])
        if others:
            paragraphs.append(f"Other candidates: {others}.")
        if len(findings.path) > 1:
            paragraphs.append("Dependency path: " + " → ".join(findings.path) + ".")
    elif findings.anomalies:
        paragraphs.append("Anomalies were found but none ranks as a cause.")
    else:
        paragraphs.append("No anomaly against baseline was found: no cause to report.")
    paragraphs += [f"_{note}_" for note in findings.notes[:3]]
    missing = [s for s in steps if not s.has_result]
    if missing:
        parts = ", ".join(f"`{s.id}` ({s.reason or s.status.value})" for s in missing)
        paragraphs.append(f"**Missing:** {parts}.")
    return "\n\n".join(paragraphs)
