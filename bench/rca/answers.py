"""Every answer the offline loop produces, as one JSON file (``offline --dump FILE``).

A speed change of the analysis must not move a single score, so the dump holds more than
the ranking the figures count: per case the whole ``Findings`` (ranked CIs with scores and
evidence, anomalies, changes, path, diagnosis, notes) and, unrounded by the product, each
detection's and each ranked candidate's internal floats (strength, timing, severity, raw
score, impact...). ``cmp`` of two dumps is then the proof that two versions of
``opsflow/analysis`` answer alike.

The internals are read by wrapping two stage functions of ``opsflow.analysis.engine``
(``detect_all`` and ``to_root_cause``) for the duration of the dump: no hook in the
product exists for a proof tool, and the wrappers return what they wrapped unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opsflow.analysis import analyze, engine
from opsflow.analysis.anomalies import Detection
from opsflow.analysis.candidate import Candidate
from opsflow.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from opsflow.models import AnalysisInput
from opsflow.models.findings import RootCause

# Candidate fields that decide the order; evidence is already in the findings.
_CANDIDATE_FIELDS = (
    "strength",
    "change_score",
    "inherited",
    "onset_ts",
    "explained_by",
    "covered",
    "impact",
    "volume",
    "raw",
)


def rounded(value: Any, digits: int) -> Any:
    """``value`` with every float at ``digits`` significant digits (0: exact ``repr``)."""
    if isinstance(value, float):
        return value if digits == 0 else float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value


def _detection(det: Detection) -> dict[str, Any]:
    fields = {f.name: getattr(det, f.name) for f in dataclasses.fields(det)}
    fields["anomaly"] = det.anomaly.model_dump(mode="json")
    fields["strength"] = det.strength
    return fields


@contextmanager
def _recording(sink: dict[str, list[Any]]) -> Iterator[None]:
    detect_all = engine.detect_all
    to_root_cause: Callable[[Candidate], RootCause] = getattr(engine, "to_root_cause")  # noqa: B009

    def recorded_detect_all(*args: Any, **kwargs: Any) -> engine.Detected:
        found = detect_all(*args, **kwargs)
        sink["detections"].extend(_detection(d) for d in found.detections)
        return found

    def recorded_to_root_cause(cand: Candidate) -> RootCause:
        fields = {f: getattr(cand, f) for f in _CANDIDATE_FIELDS}
        sink["candidates"].append({"ci": cand.ci} | fields)
        return to_root_cause(cand)

    wrappers: dict[str, Callable[..., Any]] = {
        "detect_all": recorded_detect_all,
        "to_root_cause": recorded_to_root_cause,
    }
    for name, fn in wrappers.items():
        setattr(engine, name, fn)
    try:
        yield
    finally:
        for name, fn in (("detect_all", detect_all), ("to_root_cause", to_root_cause)):
            setattr(engine, name, fn)


def answer(inp: AnalysisInput, config: AnalysisConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """One case's answer: the findings and the internals that produced them."""
    sink: dict[str, list[Any]] = {"detections": [], "candidates": []}
    with _recording(sink):
        findings = analyze(inp, config)
    return {"findings": findings.model_dump(mode="json"), **sink}


def dump(
    suites: dict[str, tuple[list[Any], list[AnalysisInput]]],
    path: Path,
    digits: int,
    configs: dict[str, AnalysisConfig],
) -> int:
    """Write every case's answer of every suite under every configuration to ``path``
    (``{configuration: {suite: {case: answer}}}``); returns the number of answers."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for label, config in configs.items():
        out[label] = {
            name: {
                case.key: rounded(answer(inp, config), digits)
                for case, inp in zip(cases, inputs, strict=True)
            }
            for name, (cases, inputs) in sorted(suites.items())
        }
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return sum(len(by_case) for by_suite in out.values() for by_case in by_suite.values())
