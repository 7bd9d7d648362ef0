"""The onset prior's anchor: when the asked trouble began.

``Detection.timing`` first weighs every excursion by its age at the reference time. When
the asked CI shows the asked symptom, sustained and still going, the trouble the operator
asks about began at that symptom's onset, which may be long before the question: an
incident asked about 50 minutes in. Excursions are then aged from the symptom's onset
instead, so the cause that began with the symptom is not discounted for the time the
operator took to ask, while a shift that began well before the symptom still is.
"""

from __future__ import annotations

import dataclasses
import math

from opsflow.analysis.anomalies import Detection
from opsflow.analysis.config import AnalysisConfig, Rule


def symptom_onset(
    focus_dets: list[Detection], families: frozenset[str], ref_ts: float, step_s: float
) -> float | None:
    """The onset of the asked CI's strongest asked-family excursion, when it is sustained,
    still going at the reference time and began inside the window (not censored)."""
    asked = [
        d
        for d in focus_dets
        if d.family in families and not d.lone and not d.censored and d.end_ts >= ref_ts - step_s
    ]
    if not asked:
        return None
    return max(asked, key=lambda d: (d.strength, -d.onset_ts)).onset_ts


def reanchor(
    dets: list[Detection], anchor_ts: float, ref_ts: float, cfg: AnalysisConfig
) -> list[Detection]:
    """Every detection's timing with its age taken at ``anchor_ts`` rather than at the
    reference time (the recovered-before-the-question factor kept as it was)."""
    if not cfg.on(Rule.ONSET_PRIOR) or anchor_ts >= ref_ts:
        return dets
    out = []
    for det in dets:
        start = ref_ts - cfg.recent_s if det.censored else det.onset_ts
        at_ref = math.exp(-max(0.0, ref_ts - start) / cfg.onset_tau_s)
        at_anchor = math.exp(-max(0.0, anchor_ts - start) / cfg.onset_tau_s)
        out.append(dataclasses.replace(det, timing=det.timing / at_ref * at_anchor))
    return out
