"""Deterministic root-cause findings (aggregation phase), computed in the ``analyze`` activity.

Pure functions: no I/O, no wall clock, no randomness. Heavy numeric work stays here,
outside workflow tasks.
"""

from opsflow.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from opsflow.analysis.engine import RANKED_INTENTS, analyze
from opsflow.analysis.metrics import classify, profile_for

__all__ = [
    "DEFAULT_CONFIG",
    "RANKED_INTENTS",
    "AnalysisConfig",
    "analyze",
    "classify",
    "profile_for",
]
