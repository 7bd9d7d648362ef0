"""Importing real telemetry in the long CSV format (``ts,ci,metric,value`` and friends)."""

from opsflow_app.importer.load import (
    ImportStats,
    ci_id_for,
    event_id_for,
    import_telemetry,
    refresh_topology_snapshot,
)
from opsflow_app.importer.parse import BAD_ROW, parse_files, parse_ts, parse_value

__all__ = [
    "BAD_ROW",
    "ImportStats",
    "ci_id_for",
    "event_id_for",
    "import_telemetry",
    "parse_files",
    "parse_ts",
    "parse_value",
    "refresh_topology_snapshot",
]
