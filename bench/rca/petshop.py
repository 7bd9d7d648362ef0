"""The PetShop RCA dataset (Hardt et al., Amazon Science, CC-BY-4.0) in OpsFlow's import format.

Read in place from the shared data folder (never copied into the repository). Per issue:

* ``graph.csv`` (square adjacency matrix, row A / column B = 1: A calls B) becomes
  ``source,target`` edges, A depending on B;
* the wide ``metrics.csv`` (three header rows node/metric/statistic, then a
  ``unix_timestamp`` row, first column unix seconds) becomes the long ``ts,ci,metric,value``
  format with the names the analysis knows (see :class:`MetricMapping`);
* the fault-free ``noissue/metrics.csv`` (August 2023) is the history of every issue
  window (April 2023). They are months apart, so the history is SHIFTED by a whole number
  of days (time of day is kept) until it reaches the issue window, and the shifted rows
  that would overlap the window are dropped: the history then ends right before the
  window's first row, as if the fault-free days had just preceded the incident.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_ROOT = Path("/work/shared/data/petshop/dataset")
DAY_S = 86_400.0
STEP_S = 300.0  # PetShop rows are five minutes apart
Kind = Literal["latency", "availability"]


@dataclass(frozen=True)
class WideMetrics:
    """One ``metrics.csv``: row times and, per (node, metric, statistic) column, its cells."""

    times: list[float]
    columns: list[tuple[str, str, str]]
    cells: list[list[float | None]]  # cells[row][column]; None is a gap

    @property
    def end(self) -> float:
        return self.times[-1]

    @property
    def start(self) -> float:
        return self.times[0]

    def nodes(self) -> set[str]:
        return {node for node, _, _ in self.columns}


@dataclass(frozen=True)
class Issue:
    scenario: str  # low_traffic, high_traffic, ...
    split: str  # train | test
    name: str  # issue_N
    path: Path
    target: str  # the node the question is about (PetSite)
    kind: Kind
    timestamp: float  # target.timestamp: when the issue was reported (unix seconds)
    root_cause: str

    @property
    def key(self) -> str:
        return f"{self.scenario}/{self.split}/{self.name}"

    def question(self) -> str:
        word = "slow" if self.kind == "latency" else "unavailable"
        return f"why is {self.target} {word}?"


@dataclass(frozen=True)
class MetricMapping:
    """How PetShop columns become OpsFlow metrics.

    Latency is in seconds in PetShop and in milliseconds here (``latency_p95``, and
    ``latency_avg`` for the Average statistic the dataset's targets are defined on);
    ``requests`` is a Sum per five-minute row and becomes requests per second (``rps``);
    availability stays a percentage (``availability``, down is bad) and/or becomes
    ``error_rate = 1 - availability / 100``.
    """

    latency_stats: tuple[str, ...] = ("p95",)  # of Average, p50, p90, p95, p99
    availability_as: tuple[str, ...] = ("availability",)  # availability and/or error_rate
    requests: bool = True

    def convert(self, metric: str, stat: str, value: float) -> list[tuple[str, float]]:
        if metric == "latency" and stat in self.latency_stats:
            return [(latency_name(stat), value * 1000.0)]
        if metric == "availability" and stat == "Average":
            out = []
            if "availability" in self.availability_as:
                out.append(("availability", value))
            if "error_rate" in self.availability_as:
                out.append(("error_rate", max(0.0, 1.0 - value / 100.0)))
            return out
        if metric == "requests" and stat == "Sum" and self.requests:
            return [("rps", value / STEP_S)]
        return []

    def metric_names(self) -> list[str]:
        names = [latency_name(s) for s in self.latency_stats] + list(self.availability_as)
        return names + (["rps"] if self.requests else [])


def latency_name(stat: str) -> str:
    return "latency_avg" if stat == "Average" else f"latency_{stat.lower()}"


def read_wide(path: Path) -> WideMetrics:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 4 or rows[3][0].strip() != "unix_timestamp":
        raise ValueError(f"{path}: expected 3 header rows and a unix_timestamp row")
    nodes, metrics, stats = rows[0], rows[1], rows[2]
    columns = [(nodes[i], metrics[i], stats[i]) for i in range(1, len(nodes))]
    times: list[float] = []
    cells: list[list[float | None]] = []
    for row in rows[4:]:
        if not row or not row[0].strip():
            continue
        times.append(float(row[0]))
        cells.append([_cell(v) for v in row[1 : len(columns) + 1]])
    order = sorted(range(len(times)), key=times.__getitem__)
    return WideMetrics([times[i] for i in order], columns, [cells[i] for i in order])


def _cell(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def read_edges(path: Path) -> list[tuple[str, str]]:
    """``(caller, callee)``: the caller depends on the callee."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0][1:]
    edges = []
    for row in rows[1:]:
        for callee, cell in zip(header, row[1:], strict=True):
            if cell.strip() and float(cell) != 0.0 and row[0] != callee:
                edges.append((row[0], callee))
    return sorted(set(edges))


def read_issue(scenario: str, split: str, path: Path) -> Issue:
    spec = json.loads((path / "target.json").read_text(encoding="utf-8"))
    kind = spec["target"]["metric"]
    if kind not in ("latency", "availability"):
        raise ValueError(f"{path}: unknown target metric {kind!r}")
    return Issue(
        scenario=scenario,
        split=split,
        name=path.name,
        path=path,
        target=spec["target"]["node"],
        kind=kind,
        timestamp=float(spec["target"]["timestamp"]),
        root_cause=spec["root_cause"]["node"],
    )


def list_issues(root: Path, scenarios: Iterable[str]) -> list[Issue]:
    out = []
    for scenario in scenarios:
        for split in ("train", "test"):
            folder = root / scenario / split
            if not folder.is_dir():
                continue
            names = sorted(
                (p for p in folder.iterdir() if (p / "target.json").is_file()),
                key=lambda p: int(p.name.rsplit("_", 1)[-1]),
            )
            out += [read_issue(scenario, split, p) for p in names]
    return out


def shift_days(history: WideMetrics, window_start: float) -> int:
    """Whole days to add to the history so its last row lands at or after the window start
    (the overlap is then dropped by :func:`history_rows`); negative when it is later."""
    return math.ceil((window_start - history.end) / DAY_S)


def long_rows(
    wide: WideMetrics,
    mapping: MetricMapping,
    *,
    offset_s: float = 0.0,
    before: float | None = None,
    nodes: set[str] | None = None,
) -> Iterator[tuple[float, str, str, float]]:
    """``(ts, ci, metric, value)`` rows, times moved by ``offset_s``, those at or after
    ``before`` (after the move) left out; gaps are skipped."""
    for t, row in zip(wide.times, wide.cells, strict=True):
        ts = t + offset_s
        if before is not None and ts >= before:
            continue
        for (node, metric, stat), value in zip(wide.columns, row, strict=True):
            if value is None or (nodes is not None and node not in nodes):
                continue
            for name, converted in mapping.convert(metric, stat, value):
                yield ts, node, name, converted


@dataclass(frozen=True)
class ImportFiles:
    metrics: Path
    graph: Path
    first_ts: float
    last_ts: float
    rows: int


def write_import(
    folder: Path,
    edges: list[tuple[str, str]],
    parts: Iterable[Iterable[tuple[float, str, str, float]]],
) -> ImportFiles:
    """Writes ``metrics.csv`` (long) and ``graph.csv`` (edges) for ``import_telemetry``."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics, graph = folder / "metrics.csv", folder / "graph.csv"
    first, last, n = math.inf, -math.inf, 0
    with metrics.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["ts", "ci", "metric", "value"])
        for part in parts:
            for ts, ci, metric, value in part:
                out.writerow([f"{ts:.0f}", ci, metric, repr(value)])
                first, last, n = min(first, ts), max(last, ts), n + 1
    with graph.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["source", "target"])
        out.writerows(edges)
    return ImportFiles(metrics, graph, first, last, n)


def issue_files(
    issue: Issue,
    history: WideMetrics,
    edges: list[tuple[str, str]],
    mapping: MetricMapping,
    folder: Path,
    *,
    history_hours: float | None = None,
) -> tuple[ImportFiles, int]:
    """Import files for one issue: the shifted fault-free history, then the issue window.
    ``history_hours`` keeps only that much history before the window (smaller imports).
    Returns the files and the shift in days."""
    window = read_wide(issue.path / "metrics.csv")
    days = shift_days(history, window.start)
    offset = days * DAY_S
    keep_from = -math.inf if history_hours is None else window.start - history_hours * 3600.0

    def shifted() -> Iterator[tuple[float, str, str, float]]:
        for row in long_rows(history, mapping, offset_s=offset, before=window.start):
            if row[0] >= keep_from:
                yield row

    return write_import(folder, edges, [shifted(), long_rows(window, mapping)]), days


def noissue_files(
    history: WideMetrics,
    edges: list[tuple[str, str]],
    mapping: MetricMapping,
    folder: Path,
) -> ImportFiles:
    """The fault-free history as it is (its own tenant, for the specificity windows)."""
    return write_import(folder, edges, [long_rows(history, mapping)])


def issue_window(issue: Issue) -> tuple[float, float]:
    """First and last row time of the issue's own ``metrics.csv``."""
    window = read_wide(issue.path / "metrics.csv")
    return window.start, window.end
