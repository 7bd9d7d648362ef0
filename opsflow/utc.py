"""One rule for timestamps without a zone: OpsFlow reads them as UTC, everywhere.

``datetime.timestamp`` would read a naive value in the process's local zone, so results
would depend on where an activity ran.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(ts: datetime) -> datetime:
    """``ts`` with a zone: naive values are taken as UTC, aware ones are kept."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def epoch(ts: datetime) -> float:
    """Seconds since the epoch, naive values read as UTC."""
    return as_utc(ts).timestamp()
