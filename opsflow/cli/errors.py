"""One-line errors with stable codes and exit statuses for every command."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

EXIT_FAILED_ANSWER = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3
EXIT_NOT_FOUND = 4


class CliError(Exception):
    def __init__(self, code: str, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code


def fail(err: CliError, *, as_json: bool) -> NoReturn:
    if as_json:
        print(json.dumps({"error": {"code": err.code, "message": err.message}}))
    print(f"error: {err.code}: {err.message}", file=sys.stderr)
    raise SystemExit(err.exit_code)
