"""Shared corpora for the SQL validator tests (one SQL statement per line)."""

from __future__ import annotations

from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2] / "corpora"
TENANT = "t_acme"


def read_lines(name: str) -> list[str]:
    """Non-blank, stripped lines of a corpus file."""
    text = (CORPORA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]
