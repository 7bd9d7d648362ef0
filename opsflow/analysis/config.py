"""Tunable thresholds of the deterministic analysis, in one frozen object.

Defaults were chosen on synthetic data and sanity-checked on the PetShop RCA dataset;
tests and the bench pass their own instance instead of patching module globals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisConfig:
    # The "recent" window judged against the baseline, ending at the reference time.
    recent_s: float = 3600.0
    # Points up to this long after the reference time still count as recent: bucketed
    # stores stamp a bucket with its start, so the bucket holding the reference time
    # (and a tool that rounds its upper bound up) can return a point slightly later.
    recent_after_s: float = 3600.0
    # A series needs this many baseline points to be judged at all.
    min_history_points: int = 12
    # Robust z-score (median/MAD) a point must reach, in the bad direction.
    z_threshold: float = 4.0
    # Daily seasonality is modelled only when the baseline spans more than this.
    seasonal_min_span_s: float = 1.5 * 86400.0
    # Time-of-day bin of the seasonal profile.
    seasonal_bin_s: float = 1800.0
    # The seasonal model must shrink the residual spread to this fraction of the raw
    # spread to be used; otherwise the flat baseline is the honest choice.
    seasonal_gain: float = 0.75
    # How long a sustained excursion must last, in wall time (converted to points
    # from the series' own sampling interval, capped at ``max_run_points``).
    sustained_s: float = 600.0
    max_run_points: int = 3
    # A change correlates with an anomaly whose onset follows it within this window.
    change_window_s: float = 1800.0
    # With a focus CI whose series were judged and show no health anomaly there is no
    # symptom to explain: rank nothing rather than blame whatever else is noisy.
    require_focus_symptom: bool = True
    # The question itself says the focus is in trouble, so its symptom is confirmed at a
    # lower robust z than an anomaly found anywhere else.
    focus_z_threshold: float = 3.0
    # Candidates returned.
    max_candidates: int = 5


DEFAULT_CONFIG = AnalysisConfig()
