"""The analysis's constants, in one frozen object; each says the principle it stands for.

docs/DECISIONS.md ("Root-cause analysis") gives the reasoning; bench/rca/README.md the
ablation. Tests and the bench pass their own instance instead of patching module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Rule(StrEnum):
    """The ranking's rules, each switchable for the ablation in bench/rca/README.md."""

    ONSET_PRIOR = "onset_prior"  # excursions weigh less the older their onset
    ALIGNMENT = "alignment"  # a cause begins no earlier than three samples before the symptom
    PROPAGATION = "propagation"  # a caller explained by a dependency is likely a symptom
    CHANGES = "changes"  # recent deploys/config changes are candidates and explain callers
    INTENT_WEIGHTS = "intent_weights"  # the question's symptom family weighs most
    IMPACT = "impact"  # excursion x requests against the same metric's largest
    REACH = "reach"  # a CI with under 5 % of the asked CI's traffic weighs its share
    RATIO_SUPPORT = "ratio_support"  # a failure ratio over few requests weighs less
    SPIKE_BEYOND_HISTORY = "spike_beyond_history"  # a one-point excursion must beat history
    WAITING = "waiting"  # a slow caller with idle resources passes blame to silent callees
    TOPOLOGY = "topology"  # CIs the asked CI does not depend on weigh less


@dataclass(frozen=True)
class AnalysisConfig:
    # The "recent" window judged against the baseline, ending at the reference time: the
    # planner's default question window (60 minutes).
    recent_s: float = 3600.0
    # Points after the reference time still count as recent. The metric tool reads only
    # the sampling lag past a past reference time, so this only bounds odd inputs.
    recent_after_s: float = 3600.0
    # A full baseline: 12 points (an hour of 5-minute rows). Fewer still judge, with a
    # confidence of sqrt(points / 12) ...
    min_history_points: int = 12
    # ... down to three points, the fewest that have a median and a spread.
    min_short_history: int = 3
    # Robust z-score (median/MAD) a point must reach, in the bad direction: 4 sigma is
    # about one false point in 30,000 on normal noise.
    z_threshold: float = 4.0
    # A lone point (not sustained) counts only at twice the threshold.
    lone_z_factor: float = 2.0
    # Daily seasonality is modelled only when the baseline spans more than this.
    seasonal_min_span_s: float = 1.5 * 86400.0
    # Time-of-day bin of the seasonal profile.
    seasonal_bin_s: float = 1800.0
    # The seasonal model must shrink the residual spread to this fraction of the raw
    # spread to be used; otherwise the flat baseline is the honest choice.
    seasonal_gain: float = 0.75
    # A sustained excursion lasts this long in wall time (converted to points from the
    # series' own sampling interval, capped at ``max_run_points``); shorter is "lone".
    sustained_s: float = 180.0
    max_run_points: int = 3
    # Onset prior: an excursion's weight decays as exp(-age / tau) with its age at the
    # reference time; tau is half the recent window, so a shift that began when the window
    # opened weighs 0.14 of one that began at the reference time.
    onset_tau_s: float = 1800.0
    # A change correlates with an anomaly whose onset follows it within this window.
    change_window_s: float = 1800.0
    # A change's own weight decays with its age at the reference time like an onset's,
    # over the planner's change search window (4 h) scaled to its first hour.
    change_tau_s: float = 3600.0
    # Candidates returned.
    max_candidates: int = 5
    # Rules switched off (ablation only; the product runs them all).
    disabled: frozenset[Rule] = field(default_factory=frozenset)

    def on(self, rule: Rule) -> bool:
        return rule not in self.disabled


DEFAULT_CONFIG = AnalysisConfig()
