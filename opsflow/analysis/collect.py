"""Merge the tool outputs of a run into one de-duplicated view keyed by CI name.

Tools report CIs by name in series, events and edges; ids are translated to names
where a tool used them anyway, so the graph and the series meet on the same keys.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from opsflow.analysis.series import SeriesData, observed_step
from opsflow.models.tool_io import CiRecord, EdgeRecord, EventRecord, MetricSeries, ToolOutput
from opsflow.utc import epoch


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
            rank = (1 if s.source == "raw" else 0, len(s.values))
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
    times, values = s.epoch_s, s.values
    # ``map`` over C callables: this check runs over every sample a question read.
    ordered = all(map(operator.lt, times, islice(times, 1, None)))
    if not ordered or not all(map(math.isfinite, values)):
        # Unsorted or duplicate stamps (the last value wins), NaN/inf samples dropped.
        by_ts: dict[float, float] = {}
        for t, v in zip(times, values, strict=True):
            if math.isfinite(v):
                by_ts[t] = v
        times = sorted(by_ts)
        values = [by_ts[t] for t in times]
    if not times:
        return None
    # The columns are shared with the tool output, not copied: nothing in the analysis
    # writes to either.
    return SeriesData(
        ci=ci,
        metric=s.metric,
        step_id=step,
        times=times,
        values=values,
        step_s=observed_step(times),
    )
