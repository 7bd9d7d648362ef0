"""How ``import`` tells a person what it did, and which rows it refused."""

from __future__ import annotations

from typing import Any

# The parser stops collecting after this many bad rows (importer.parse.MAX_ERRORS).
ROWS_SHOWN = 20

_COUNTS = (
    ("rows_read", "rows read"),
    ("cis_created", "CIs created"),
    ("cis_retyped", "CIs retyped"),
    ("relations_written", "dependencies written"),
    ("samples_written", "samples written"),
    ("samples_unchanged", "samples unchanged"),
    ("gaps_skipped", "empty values skipped"),
    ("duplicate_samples", "duplicate samples (last kept)"),
    ("events_written", "events written"),
    ("rollups_written", "rollups written"),
)


def summary_lines(report: dict[str, Any]) -> list[str]:
    counts = ", ".join(f"{report[k]:,} {label}" for k, label in _COUNTS if report.get(k))
    lines = [
        f"imported into {report['tenant_id']} in {report['seconds']:.2f} s: {counts or 'nothing'}"
    ]
    if report.get("ts_min") and report.get("ts_max"):
        lines.append(f"time range {report['ts_min']} .. {report['ts_max']}")
    for name, columns in (report.get("ignored_columns") or {}).items():
        lines.append(f"ignored columns in {name}: {', '.join(columns)}")
    return lines


def bad_row_lines(details: object) -> list[str]:
    """One line per refused row (bounded by the parser), for stderr before the error line."""
    if not isinstance(details, list):
        return []
    lines = []
    for item in details[:ROWS_SHOWN]:
        if isinstance(item, dict) and {"file", "line", "error"} <= set(item):
            lines.append(f"  {item['file']} line {item['line']}: {item['error']}")
    return lines
