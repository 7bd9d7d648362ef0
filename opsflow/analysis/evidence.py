"""Human-readable evidence lines: which metric, how far off, since when, which change."""

from __future__ import annotations

from datetime import UTC, datetime

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.changes import Correlation
from opsflow.models.findings import Evidence
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


def change_evidence(corr: Correlation) -> Evidence:
    ch = corr.change
    minutes = corr.lead_s / 60.0
    where = "its" if corr.anomalous_ci == ch.ci else f"{corr.anomalous_ci}'s"
    return Evidence(
        kind="change",
        ci=ch.ci,
        ts=ch.ts,
        step_id=ch.step_id,
        description=f"{ch.kind} on {ch.ci} at {fmt_ts(ch.ts)}, {minutes:.0f} min "
        f"before {where} anomaly onset: {ch.message}"[:300],
    )


def fmt_ts(ts: datetime) -> str:
    return as_utc(ts).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
