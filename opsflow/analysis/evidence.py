"""Human-readable evidence lines: which metric, how far off, since when, which change."""

from __future__ import annotations

from datetime import UTC, datetime

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.changes import Correlation
from opsflow.models.findings import Change, Evidence
from opsflow.utc import as_utc


def anomaly_evidence(det: Detection) -> Evidence:
    a = det.anomaly
    pct = det.rel_change * 100.0
    change = f"{'+' if a.direction == 'up' else '-'}{pct:.0f}%" if pct < 1e4 else "from ~0"
    kind = "seasonal" if det.seasonal else "median"
    description = (
        f"{a.metric} {a.direction} to {a.peak:.4g} vs {kind} baseline "
        f"{a.baseline:.4g} ({change}, robust z {a.deviation:.1f}) since "
        f"{fmt_ts(a.onset)}"
    )
    return Evidence(
        kind="anomaly",
        description=description,
        ci=a.ci,
        metric=a.metric,
        ts=a.onset,
        value=a.peak,
        baseline=a.baseline,
        deviation=a.deviation,
        step_id=a.step_id,
    )


def change_evidence(item: Correlation | Change) -> Evidence:
    if isinstance(item, Change):
        return Evidence(
            kind="change",
            ci=item.ci,
            ts=item.ts,
            step_id=item.step_id,
            description=f"{item.kind} on {item.ci} at {fmt_ts(item.ts)}: {item.message}"[:300],
        )
    ch = item.change
    minutes = item.lead_s / 60.0
    where = "its" if item.anomalous_ci == ch.ci else f"{item.anomalous_ci}'s"
    return Evidence(
        kind="change",
        ci=ch.ci,
        ts=ch.ts,
        step_id=ch.step_id,
        description=f"{ch.kind} on {ch.ci} at {fmt_ts(ch.ts)}, {minutes:.0f} min "
        f"before {where} anomaly onset: {ch.message}"[:300],
    )


def suppression_evidence(det: Detection, ref_ts: float) -> list[Evidence]:
    """What weighed this candidate's main excursion down, said where a reader sees it."""
    a = det.anomaly
    notes: list[str] = []
    if det.censored:
        notes.append("already under way when the recent window opened: an older condition")
    elif det.timing < 0.5:
        age_min = (ref_ts - det.onset_ts) / 60.0
        notes.append(f"began {age_min:.0f} min before the reference time or is over")
    if det.lone:
        notes.append("a single point, not a sustained excursion")
    if det.confidence < 1.0:
        notes.append(f"judged on only {det.history_points} baseline points")
    return [
        Evidence(
            kind="weight",
            ci=a.ci,
            metric=a.metric,
            step_id=a.step_id,
            description=f"weighed down: {a.metric} {note}",
        )
        for note in notes
    ]


def fmt_ts(ts: datetime) -> str:
    return as_utc(ts).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
