"""The template summary: a readable answer from the findings alone, no LLM needed."""

from __future__ import annotations

from opsflow.models import Diagnosis, Findings, RcaOutcome, StepState


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
    else:
        paragraphs.append(_no_cause(findings.diagnosis))
    paragraphs += [f"_{note}_" for note in findings.notes[:3]]
    missing = [s for s in steps if not s.has_result]
    if missing:
        parts = ", ".join(f"`{s.id}` ({s.reason or s.status.value})" for s in missing)
        paragraphs.append(f"**Missing:** {parts}.")
    return "\n\n".join(paragraphs)


def _no_cause(diagnosis: Diagnosis) -> str:
    """Why nothing is named, plainly: "no cause" must never read like "all is well"."""
    if diagnosis.outcome is RcaOutcome.NOTHING_JUDGED:
        return (
            "**No cause can be named:** no metric series had enough points to be judged "
            f"({diagnosis.series_skipped} too short)."
        )
    if diagnosis.outcome is RcaOutcome.NOTHING_ANOMALOUS:
        return (
            f"**No cause found:** none of the {diagnosis.series_judged} judged series left its "
            "baseline and no change was recorded."
        )
    if diagnosis.outcome is RcaOutcome.NOT_RANKED:
        return "Root causes are not ranked for this kind of question."
    return "No anomaly against baseline was found: no cause to report."
