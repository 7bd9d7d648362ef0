"""Merge the tool outputs of a run into one de-duplicated view keyed by CI name.

Tools report CIs by name in series, events and edges; ids are translated to names
where a tool used them anyway, so the graph and the series meet on the same keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from opsflow.analysis.series import SeriesData, epoch
from opsflow.models.tool_io import CiRecord, EdgeRecord, EventRecord, MetricSeries, ToolOutput


@dataclass
class Collected:
    cis: dict[str, CiRecord] = field(default_factory=dict)  # by name
    edges: set[tuple[str, str]] = field(default_factory=set)  # (source, target) names
    series: list[SeriesData] = field(default_factory=list)
    events: list[tuple[EventRecord, str | None]] = field(default_factory=list)  # (event, step)


def collect(outputs: dict[str, ToolOutput]) -> Collected:
    out = Collected()
    # Sorted step ids: the result must not depend on the order activities finished in.
    steps = sorted(outputs)
    for step in steps:
        for ci in outputs[step].cis:
            out.cis.setdefault(ci.name, ci)
    by_id = {ci.id: name for name, ci in out.cis.items()}

    def name_of(ref: str) -> str:
        return ref if ref in out.cis else by_id.get(ref, ref)

    best: dict[tuple[str, str], tuple[tuple[int, int], MetricSeries, str]] = {}
    seen_events: set[str] = set()
    for step in steps:
        output = outputs[step]
        for edge in output.edges:
            _add_edge(out.edges, edge, name_of)
        for s in output.series:
            key = (name_of(s.ci), s.metric)
            # Raw beats a rollup fallback for the same series, then more points win.
            rank = (1 if s.source == "raw" else 0, len(s.points))
            if key not in best or rank > best[key][0]:
                best[key] = (rank, s, step)
        for ev in output.events:
            if ev.id in seen_events:
                continue
            seen_events.add(ev.id)
            ev_ci = name_of(ev.ci) if ev.ci is not None else None
            out.events.append((ev.model_copy(update={"ci": ev_ci}), step))
    for key in sorted(best):
        _, s, step = best[key]
        data = _to_data(key[0], s, step)
        if data is not None:
            out.series.append(data)
    out.events.sort(key=lambda pair: (epoch(pair[0].ts), pair[0].id))
    return out


def _add_edge(edges: set[tuple[str, str]], edge: EdgeRecord, name_of: Callable[[str], str]) -> None:
    src, dst = name_of(edge.source), name_of(edge.target)
    if src != dst:
        edges.add((src, dst))


def _to_data(ci: str, s: MetricSeries, step: str) -> SeriesData | None:
    # Duplicate timestamps keep the last value; NaN/inf samples carry no information.
    by_ts: dict[float, tuple[float, int]] = {}
    for idx, p in enumerate(s.points):
        if math.isfinite(p.value):
            by_ts[epoch(p.ts)] = (p.value, idx)
    if not by_ts:
        return None
    times = sorted(by_ts)
    return SeriesData(
        ci=ci,
        metric=s.metric,
        step_id=step,
        stamps=[s.points[by_ts[t][1]].ts for t in times],
        times=times,
        values=[by_ts[t][0] for t in times],
    )
