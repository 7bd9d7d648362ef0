"""The figures of one evaluation, as plain JSON-ready dicts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bench.rca.scoring import Outcome, accuracy, grouped, specificity

# The dataset's own graph-traversal baseline, top-1 (ATTRIBUTION.md / the PetShop paper).
PETSHOP_BASELINE_TOP1: dict[str, dict[str, float]] = {
    "latency": {"low_traffic": 0.571, "high_traffic": 0.571},
    "availability": {"low_traffic": 0.833, "high_traffic": 0.667},
}
SYNTHETIC_TARGETS = {"top1": 0.9, "top3": 0.98}
_REPO = Path(__file__).resolve().parents[2]
_FINGERPRINTED = ("opsflow/analysis", "opsflow/planner", "activities/telemetry_tools.py")


def code_fingerprint() -> dict[str, str]:
    """Short content hashes of the code the figures depend on (it changes under us)."""
    out = {}
    for rel in _FINGERPRINTED:
        path = _REPO / rel
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        digest = hashlib.sha256()
        for f in files:
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
        out[rel] = digest.hexdigest()[:12]
    return out


def synthetic_figures(outcomes: list[Outcome]) -> dict[str, Any]:
    overall = accuracy(outcomes)
    return {
        **overall,
        "by_incident_kind": grouped(outcomes, lambda o: o.case.group),
        "by_size": grouped(outcomes, lambda o: o.case.scenario),
        "targets": {
            k: {"goal": f">= {v}", "met": overall[k] is not None and overall[k] >= v}
            for k, v in SYNTHETIC_TARGETS.items()
        },
    }


def petshop_figures(issues: list[Outcome], clean: list[Outcome]) -> dict[str, Any]:
    by_cell = grouped(issues, lambda o: f"{o.case.scenario}/{o.case.group}")
    baseline = {}
    for kind, per_scenario in PETSHOP_BASELINE_TOP1.items():
        for scenario, top1 in per_scenario.items():
            ours = by_cell.get(f"{scenario}/{kind}", {}).get("top1")
            baseline[f"{scenario}/{kind}"] = {
                "baseline_top1": top1,
                "top1": ours,
                "above": ours is not None and ours > top1,
            }
    out: dict[str, Any] = {
        **accuracy(issues),
        "by_issue_kind": grouped(issues, lambda o: o.case.group),
        "by_scenario": grouped(issues, lambda o: o.case.scenario),
        "by_scenario_kind": by_cell,
        "vs_graph_traversal_baseline": baseline,
    }
    if clean:
        out["fault_free"] = {
            **specificity(clean),
            "by_question": grouped(clean, lambda o: o.case.group, specificity),
            "by_scenario": grouped(clean, lambda o: o.case.scenario, specificity),
        }
    return out


def misses(outcomes: list[Outcome], limit: int = 40) -> list[dict[str, Any]]:
    """Cases the top candidate got wrong (or fault-free windows that named one), each with
    OpsFlow's and the peers' top three, the status and the analysis notes."""
    wrong = [
        o
        for o in outcomes
        if (o.case.truth is None and o.ranking) or (o.case.truth is not None and o.rank != 1)
    ]
    return [o.listing() for o in wrong[:limit]]
