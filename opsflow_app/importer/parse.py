"""Reading and validating the long-format telemetry CSVs, before any database work.

Every file needs a header row; columns are found by name (case-insensitive), extra
columns are ignored and reported. Line numbers are physical, 1-based, header included,
so an error points at the line an editor shows.

Values: an empty cell or NaN is a gap (real exports have them) and is skipped and
counted; anything else that is not a finite number (text, +-inf) is a bad row, because
storing inf would poison every average and rollup and dropping it silently would hide
a converter bug. Timestamps are unix seconds (int or float) or ISO 8601; an ISO time
without a zone is taken as UTC. Unix values outside 1990..2100 are rejected: they are
usually milliseconds.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from opsflow.errors import ValidationError

BAD_ROW = "IMPORT_BAD_ROW"
MAX_ERRORS = 20
_MIN_TS, _MAX_TS = 631_152_000.0, 4_102_444_800.0  # 1990-01-01, 2100-01-01
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/-]{0,99}")
_SEVERITIES = ("info", "warning", "error", "critical")


class RowError(ValueError):
    """One bad cell or row; collected, then raised together as a ValidationError."""


@dataclass
class ParsedFile:
    path: Path
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class ParsedTelemetry:
    cis: dict[str, str | None] = field(default_factory=dict)  # name -> ci_type (None: unknown)
    samples: dict[tuple[str, str, datetime], float] = field(default_factory=dict)
    relations: set[tuple[str, str, str]] = field(default_factory=set)
    events: list[tuple[datetime, str | None, str, str, str]] = field(default_factory=list)
    rows_read: int = 0
    gaps_skipped: int = 0
    duplicate_samples: int = 0
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str | int]] = []

    def add(self, path: Path, line: int, problem: str) -> None:
        self.items.append({"file": path.name, "line": line, "error": problem})

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_ERRORS

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        more = f" (and {len(self.items) - 1} more bad rows)" if len(self.items) > 1 else ""
        raise ValidationError(
            f"{first['file']} line {first['line']}: {first['error']}{more}",
            code=BAD_ROW,
            details=self.items,
        )


def parse_ts(text: str) -> datetime:
    text = text.strip()
    if not text:
        raise RowError("ts is empty")
    if _NUMBER.fullmatch(text):
        value = float(text)
        if not _MIN_TS <= value < _MAX_TS:
            raise RowError(f"ts {text} is not unix seconds between 1990 and 2100 (milliseconds?)")
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"ts {text!r} is neither unix seconds nor ISO 8601") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_value(text: str) -> float | None:
    """None for a gap (empty, NaN); RowError for text and infinities."""
    text = text.strip()
    if not text or text.lower() in ("nan", "-nan", "+nan"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"value {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RowError(f"value {text!r} is not finite")
    return value


def _name(text: str, what: str) -> str:
    name = text.strip()
    if not name:
        raise RowError(f"{what} is empty")
    if len(name) > 200 or any(ord(ch) < 32 for ch in name):
        raise RowError(f"{what} {name[:40]!r} is too long or has control characters")
    return name


def _ident(text: str, what: str) -> str:
    value = text.strip()
    if not _IDENT.fullmatch(value):
        raise RowError(f"{what} {value[:40]!r} must match {_IDENT.pattern}")
    return value


def _rows(
    path: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    out: ParsedTelemetry,
) -> Iterator[tuple[int, dict[str, str] | None, str]]:
    """Yields (line number, {column: cell}, "") per non-blank data row, or
    (line number, None, problem) for a row with the wrong number of fields."""
    try:
        yield from _decoded_rows(path, required, optional, out)
    except UnicodeDecodeError as err:
        # Decoding is lazy: the bad byte can sit on any line, so say where it was read.
        raise ValidationError(
            f"{path.name}: not UTF-8 text (byte 0x{err.object[err.start]:02x} at offset"
            f" {err.start} of a read block; save the file as UTF-8)",
            code=BAD_ROW,
        ) from None


def _decoded_rows(
    path: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    out: ParsedTelemetry,
) -> Iterator[tuple[int, dict[str, str] | None, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise ValidationError(f"{path.name} is empty: a header row is required", code=BAD_ROW)
        cols = [h.strip().lower() for h in header]
        missing = [c for c in required if c not in cols]
        if missing:
            raise ValidationError(
                f"{path.name} line 1: header lacks {', '.join(missing)}"
                f" (expected {','.join(required + optional)})",
                code=BAD_ROW,
            )
        ignored = [c for c in cols if c not in required + optional]
        if ignored:
            out.ignored_columns[path.name] = ignored
        index = {c: cols.index(c) for c in required + optional if c in cols}
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            out.rows_read += 1
            if len(row) != len(cols):
                yield reader.line_num, None, f"has {len(row)} fields, header has {len(cols)}"
            else:
                yield reader.line_num, {c: row[i] for c, i in index.items()}, ""


def _each(
    path: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    out: ParsedTelemetry,
    errors: _Errors,
) -> Iterator[tuple[int, dict[str, str]]]:
    """``_rows`` with ragged rows recorded as errors; stops once enough errors are known."""
    for line, row, problem in _rows(path, required, optional, out):
        if errors.full:
            return
        if row is None:
            errors.add(path, line, problem)
        else:
            yield line, row


def _ci_row(row: dict[str, str], declared_at: dict[str, tuple[str, int]]) -> tuple[str, str]:
    name, ci_type = _name(row["name"], "name"), _ident(row["ci_type"], "ci_type")
    if name in declared_at and declared_at[name][0] != ci_type:
        first_type, first_line = declared_at[name]
        raise RowError(f"{name} declared as {first_type} on line {first_line}, {ci_type} here")
    return name, ci_type


def _metric_row(row: dict[str, str]) -> tuple[datetime, str, str, float | None]:
    ts = parse_ts(row["ts"])
    ci, metric = _name(row["ci"], "ci"), _ident(row["metric"], "metric")
    return ts, ci, metric, parse_value(row["value"])


def _graph_row(row: dict[str, str]) -> tuple[str, str, str]:
    src, dst = _name(row["source"], "source"), _name(row["target"], "target")
    relation = _ident(row.get("relation", "").strip() or "depends_on", "relation")
    if src == dst:
        raise RowError(f"{src} cannot depend on itself")
    return src, dst, relation


def _event_row(row: dict[str, str]) -> tuple[datetime, str | None, str, str, str]:
    ts = parse_ts(row["ts"])
    ci = _name(row["ci"], "ci") if row["ci"].strip() else None
    kind = _ident(row["kind"], "kind")
    severity = row["severity"].strip().lower() or "info"
    if severity not in _SEVERITIES:
        raise RowError(f"severity {severity!r} is not one of {', '.join(_SEVERITIES)}")
    return ts, ci, kind, severity, row["message"].strip()


def _parse_metrics(path: Path, out: ParsedTelemetry, errors: _Errors) -> None:
    for line, row in _each(path, ("ts", "ci", "metric", "value"), (), out, errors):
        try:
            ts, ci, metric, value = _metric_row(row)
        except RowError as err:
            errors.add(path, line, str(err))
            continue
        out.cis.setdefault(ci, None)
        if value is None:
            out.gaps_skipped += 1
            continue
        key = (ci, metric, ts)
        if key in out.samples:
            out.duplicate_samples += 1  # the last one wins, as a re-import would
        out.samples[key] = value


def parse_files(
    metrics: Path | None, graph: Path | None, events: Path | None, cis: Path | None
) -> ParsedTelemetry:
    """Validate everything; raises ValidationError(IMPORT_BAD_ROW) listing up to 20 rows."""
    out, errors = ParsedTelemetry(), _Errors()
    if cis is not None:
        declared_at: dict[str, tuple[str, int]] = {}
        for line, row in _each(cis, ("name", "ci_type"), (), out, errors):
            try:
                name, ci_type = _ci_row(row, declared_at)
            except RowError as err:
                errors.add(cis, line, str(err))
                continue
            declared_at.setdefault(name, (ci_type, line))
            out.cis[name] = ci_type
    # No metrics file: a tenant whose metrics live in Prometheus imports only the rest.
    if metrics is not None:
        _parse_metrics(metrics, out, errors)
    if graph is not None:
        for line, row in _each(graph, ("source", "target"), ("relation",), out, errors):
            try:
                edge = _graph_row(row)
            except RowError as err:
                errors.add(graph, line, str(err))
                continue
            out.cis.setdefault(edge[0], None)
            out.cis.setdefault(edge[1], None)
            out.relations.add(edge)
    if events is not None:
        wanted = ("ts", "ci", "kind", "severity", "message")
        for line, row in _each(events, wanted, (), out, errors):
            try:
                event = _event_row(row)
            except RowError as err:
                errors.add(events, line, str(err))
                continue
            if event[1] is not None:
                out.cis.setdefault(event[1], None)
            out.events.append(event)
    errors.raise_if_any()
    return out
