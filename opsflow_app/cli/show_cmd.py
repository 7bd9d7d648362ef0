"""``show``: render a saved ``--json`` answer (a file, or ``-`` for stdin) for a person."""

from __future__ import annotations

import sys
from pathlib import Path

import pydantic
from rich.console import Console

from opsflow.models import OrchestrationResult
from opsflow_app.cli.errors import EXIT_NOT_FOUND, CliError
from opsflow_app.cli.render import render


def read_answer(source: str) -> OrchestrationResult:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise CliError("NOT_FOUND", f"{source}: no such file", EXIT_NOT_FOUND) from err
    except UnicodeDecodeError as err:
        raise CliError("VALIDATION_ERROR", f"{source}: not UTF-8 text ({err.reason})") from err
    try:
        return OrchestrationResult.model_validate_json(text)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise CliError(
            "VALIDATION_ERROR",
            f"{source}: not an answer from `ask --json` ({where}: {first['msg']})",
        ) from err


def run_show(source: str) -> int:
    render(read_answer(source), Console())
    return 0
