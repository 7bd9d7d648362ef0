"""The PetShop converter: wide 3-row-header CSV and adjacency matrix to the import format,
and the whole-day shift that puts the fault-free history right before an issue window."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.rca.petshop import (
    DAY_S,
    DEFAULT_ROOT,
    STEP_S,
    MetricMapping,
    issue_files,
    list_issues,
    long_rows,
    read_edges,
    read_wide,
    shift_days,
)
from bench.rca.petshop_suite import ask_time, fault_free_times
from opsflow_app.importer.parse import parse_files

NODES = ("PetSite", "petInfo_AWS::DynamoDB::Table")
COLUMNS = (
    [(n, "latency", s) for n in NODES for s in ("Average", "p95")]
    + [(n, "availability", "Average") for n in NODES]
    + [(n, "requests", "Sum") for n in NODES]
)


def _write_wide(path: Path, times: list[float], value: float = 0.1, gap_every: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["microservice", *(c[0] for c in COLUMNS)])
        out.writerow(["metric", *(c[1] for c in COLUMNS)])
        out.writerow(["statistic", *(c[2] for c in COLUMNS)])
        out.writerow(["unix_timestamp", *("" for _ in COLUMNS)])
        for i, t in enumerate(times):
            cells = []
            for j, (_, metric, _) in enumerate(COLUMNS):
                if gap_every and (i + j) % gap_every == 0:
                    cells.append("")
                elif metric == "availability":
                    cells.append("99.5")
                elif metric == "requests":
                    cells.append("600.0")
                else:
                    cells.append(repr(value))
            out.writerow([repr(t), *cells])


def _write_graph(path: Path) -> None:
    names = [*NODES, "PetSearch_client"]
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["", *names])
        out.writerow([names[0], "0.0", "1.0", "0.0"])
        out.writerow([names[1], "0.0", "1.0", "0.0"])  # a self-loop is not an edge
        out.writerow([names[2], "1.0", "0.0", "0.0"])


# The fault-free history: two days of 5-minute rows from 2023-08-21 09:00 UTC.
HISTORY_START = 1692608400.0
HISTORY = [HISTORY_START + i * STEP_S for i in range(2 * 288)]
# An issue window months earlier, at an odd minute (PetShop's windows are not on :00/:05).
WINDOW_START = 1681857120.0  # 2023-04-18 22:32 UTC
WINDOW = [WINDOW_START + i * STEP_S for i in range(5)]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "dataset"
    _write_wide(root / "low_traffic" / "noissue" / "metrics.csv", HISTORY, gap_every=7)
    _write_graph(root / "low_traffic" / "graph.csv")
    issue = root / "low_traffic" / "test" / "issue_0"
    _write_wide(issue / "metrics.csv", WINDOW, value=0.5)
    (issue / "target.json").write_text(
        json.dumps(
            {
                "target": {
                    "node": "PetSite",
                    "metric": "latency",
                    "agg": "Average",
                    "timestamp": WINDOW_START + 490,
                },
                "root_cause": {"node": "petInfo_AWS::DynamoDB::Table", "metric": None},
            }
        )
    )
    return root


def test_wide_metrics_keep_the_three_header_rows_and_gaps(dataset: Path) -> None:
    wide = read_wide(dataset / "low_traffic" / "noissue" / "metrics.csv")
    assert wide.columns == COLUMNS
    assert wide.times == HISTORY
    assert any(cell is None for row in wide.cells for cell in row)
    assert wide.nodes() == set(NODES)


def test_adjacency_matrix_row_calls_column(dataset: Path) -> None:
    assert read_edges(dataset / "low_traffic" / "graph.csv") == [
        ("PetSearch_client", "PetSite"),
        ("PetSite", "petInfo_AWS::DynamoDB::Table"),
    ]


def test_metric_mapping_units_and_names() -> None:
    both = MetricMapping(
        latency_stats=("Average", "p95"), availability_as=("availability", "error_rate")
    )
    assert both.convert("latency", "p95", 0.25) == [("latency_p95", 250.0)]
    assert both.convert("latency", "Average", 0.1) == [("latency_avg", 100.0)]
    assert both.convert("latency", "p99", 1.0) == []
    assert both.convert("availability", "Average", 97.0) == [
        ("availability", 97.0),
        ("error_rate", pytest.approx(0.03)),
    ]
    assert both.convert("requests", "Sum", 600.0) == [("rps", 2.0)]
    assert MetricMapping().metric_names() == ["latency_p95", "availability", "rps"]


def test_history_is_shifted_by_whole_days_to_end_right_before_the_window(
    dataset: Path, tmp_path: Path
) -> None:
    (issue,) = list_issues(dataset, ["low_traffic"])
    history = read_wide(dataset / "low_traffic" / "noissue" / "metrics.csv")
    edges = read_edges(dataset / "low_traffic" / "graph.csv")
    files, days = issue_files(
        issue, history, edges, MetricMapping(), tmp_path / "out", history_hours=12
    )
    assert days == shift_days(history, WINDOW_START) < 0

    stamps = sorted({float(r["ts"]) for r in csv.DictReader(files.metrics.open())})
    before = [t for t in stamps if t < WINDOW_START]
    assert set(stamps) - set(before) == set(WINDOW)  # the window itself is not moved
    # Time of day kept: every history row moved by whole days.
    assert all((t - days * DAY_S) in set(HISTORY) for t in before)
    # Ends right before the window, and only the asked-for hours of it are kept.
    assert WINDOW_START - STEP_S <= before[-1] < WINDOW_START
    assert before[0] >= WINDOW_START - 12 * 3600
    assert len(before) == 12 * 12


def test_import_files_pass_the_importers_validation(dataset: Path, tmp_path: Path) -> None:
    (issue,) = list_issues(dataset, ["low_traffic"])
    history = read_wide(dataset / "low_traffic" / "noissue" / "metrics.csv")
    edges = read_edges(dataset / "low_traffic" / "graph.csv")
    mapping = MetricMapping(latency_stats=("Average", "p95"))
    files, _ = issue_files(issue, history, edges, mapping, tmp_path / "out", history_hours=6)
    parsed = parse_files(files.metrics, files.graph, None, None)
    assert {m for (_, m, _) in parsed.samples} == set(mapping.metric_names())
    assert ("PetSite", "petInfo_AWS::DynamoDB::Table", "depends_on") in parsed.relations
    assert parsed.samples[("PetSite", "latency_avg", _utc(WINDOW[0]))] == pytest.approx(500.0)
    assert len(parsed.samples) == files.rows


def test_issue_question_and_ask_times(dataset: Path) -> None:
    (issue,) = list_issues(dataset, ["low_traffic"])
    assert issue.question() == "why is PetSite slow?"
    assert issue.root_cause == "petInfo_AWS::DynamoDB::Table"
    assert ask_time(issue, "target").timestamp() == WINDOW_START + 490
    assert ask_time(issue, "window_end").timestamp() == WINDOW[-1] + STEP_S


def test_fault_free_times_leave_the_history_before_each() -> None:
    times = fault_free_times(0.0, 100_000.0, count=4, min_history_h=20)
    assert len(times) == 4 and times[-1] == 100_000.0
    assert min(times) > 20 * 3600
    assert fault_free_times(0.0, 3600.0, count=4, min_history_h=20) == []


def test_long_rows_skip_gaps_and_rows_from_the_cut(dataset: Path) -> None:
    wide = read_wide(dataset / "low_traffic" / "noissue" / "metrics.csv")
    rows = list(long_rows(wide, MetricMapping(), before=HISTORY[10]))
    assert max(r[0] for r in rows) == HISTORY[9]
    per_row = len({(c[0], m) for c in COLUMNS for m in MetricMapping().convert(c[1], c[2], 1.0)})
    assert len(rows) < 10 * per_row  # gaps skipped


@pytest.mark.skipif(not (DEFAULT_ROOT / "low_traffic").is_dir(), reason="PetShop not present")
def test_real_petshop_issue_converts(tmp_path: Path) -> None:
    issues = list_issues(DEFAULT_ROOT, ["low_traffic"])
    assert len(issues) == 26
    assert {i.kind for i in issues} == {"latency", "availability"}
    history = read_wide(DEFAULT_ROOT / "low_traffic" / "noissue" / "metrics.csv")
    edges = read_edges(DEFAULT_ROOT / "low_traffic" / "graph.csv")
    files, days = issue_files(issues[0], history, edges, MetricMapping(), tmp_path, history_hours=2)
    assert days % 1 == 0 and days < 0  # August history moved back to April
    parsed = parse_files(files.metrics, files.graph, None, None)
    assert "PetSite" in parsed.cis and issues[0].root_cause in parsed.cis


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
