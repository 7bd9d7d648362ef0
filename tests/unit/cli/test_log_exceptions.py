"""Worker logs are JSON lines; an exception in them is text, never an object repr."""

from __future__ import annotations

import json
import logging

import pytest
from temporalio.exceptions import ApplicationError

from opsflow.logging_setup import configure_logging


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ApplicationError("unknown tenant 't_x'", type="UNKNOWN_TENANT", non_retryable=True),
            "one line",
        ),
        (RuntimeError("pool closed"), "traceback"),
    ],
)
def test_exceptions_render_as_text(
    error: BaseException, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json_output=True)
    try:
        raise error
    except BaseException:
        logging.getLogger("temporalio.activity").warning(
            "Completing activity as failed", exc_info=True
        )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "<traceback object" not in line
    record = json.loads(line)
    if expected == "one line":
        assert record["exception"] == "ApplicationError: UNKNOWN_TENANT: unknown tenant 't_x'"
    else:
        assert "Traceback (most recent call last)" in str(record["exception"])
        assert "RuntimeError: pool closed" in str(record["exception"])
