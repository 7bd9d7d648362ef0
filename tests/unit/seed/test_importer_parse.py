"""The importer's validation, pure (no database): formats, gaps, line numbers, ids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsflow.errors import ValidationError
from opsflow_app.importer import ci_id_for, event_id_for, parse_files, parse_ts, parse_value
from opsflow_app.importer.parse import RowError

NOON = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "1735732800",
        "1735732800.0",
        "1.7357328e9",
        "2025-01-01T12:00:00Z",
        "2025-01-01T13:00:00+01:00",
        "2025-01-01 12:00:00",
        " 2025-01-01T12:00:00.000+00:00 ",
    ],
)
def test_timestamps_in_every_accepted_spelling(text: str) -> None:
    assert parse_ts(text) == NOON


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("1735732800000", "milliseconds"),
        ("12", "1990"),
        ("noon", "ISO 8601"),
        ("nan", "ISO 8601"),
    ],
)
def test_bad_timestamps(text: str, problem: str) -> None:
    with pytest.raises(RowError, match=problem):
        parse_ts(text)


def test_values_gaps_and_rejections() -> None:
    assert parse_value("1e-3") == 0.001
    assert parse_value(" 42 ") == 42.0
    assert parse_value("") is None and parse_value("NaN") is None
    for bad in ("inf", "-Infinity", "12ms", "1,5"):
        with pytest.raises(RowError):
            parse_value(bad)


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    # A BOM, a blank line and a quoted multi-line message before the bad row.
    events.write_text(
        "\ufeffts,ci,kind,severity,message\n"
        '1735732800,web,deploy,info,"two\nlines"\n'
        "\n"
        "1735732800,web,deploy,loud,x\n",
        encoding="utf-8",
    )
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("ts,ci,metric,value\n1735732800,web,rps,1\n")
    with pytest.raises(ValidationError, match=r"^.*events.csv line 5: severity 'loud'"):
        parse_files(metrics, None, events, None)


def test_parsed_content(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.csv"
    metrics.write_text(
        "TS, CI ,Metric,Value,unit\n"
        "1735732800,web,rps,1,req/s\n1735732800,web,rps,2,req/s\n1735732860,web,rps,nan,req/s\n"
    )
    parsed = parse_files(metrics, None, None, None)
    assert parsed.samples == {("web", "rps", NOON): 2.0}
    assert (parsed.duplicate_samples, parsed.gaps_skipped, parsed.rows_read) == (1, 1, 3)
    assert parsed.cis == {"web": None}
    assert parsed.ignored_columns == {"metrics.csv": ["unit"]}


def test_ids_are_deterministic() -> None:
    assert ci_id_for("checkout-api") == ci_id_for("checkout-api")
    assert ci_id_for("checkout-api") != ci_id_for("checkout-apj")
    assert ci_id_for("x").startswith("ci-") and len(ci_id_for("x")) == 15
    same = event_id_for(parse_ts("1735732800"), "web", "deploy", "v2")
    assert same == event_id_for(parse_ts("2025-01-01T12:00:00Z"), "web", "deploy", "v2")
    assert same != event_id_for(parse_ts("1735732801"), "web", "deploy", "v2")
