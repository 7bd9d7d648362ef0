"""The rule-based planner: first-class offline, and the fallback when the LLM fails."""

from opsflow.names import Intent
from opsflow.planner.intents import detect_intent
from opsflow.planner.rules import CiInfo, rule_plan

__all__ = ["CiInfo", "Intent", "detect_intent", "rule_plan"]
