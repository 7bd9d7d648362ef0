"""One-line errors with stable codes and exit statuses for every command."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

from opsflow.errors import AppError
from opsflow.names import ErrorCode
from opsflow_app.client.errors import ClientCode

EXIT_FAILED_ANSWER = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3
EXIT_NOT_FOUND = 4
EXIT_INTERNAL = 70  # sysexits EX_SOFTWARE: a bug, not the operator's input
EXIT_INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C

# Exit status of a domain or client error by its code; any other code is bad input.
EXIT_BY_CODE: dict[str, int] = {
    ClientCode.THREAD_NOT_FOUND: EXIT_NOT_FOUND,
    ClientCode.TEMPORAL_UNAVAILABLE: EXIT_UNREACHABLE,
    ErrorCode.CONNECTION_ERROR: EXIT_UNREACHABLE,
}

# Set to see the traceback behind an INTERNAL error.
DEBUG_ENV = "OPSFLOW_DEBUG"


class CliError(Exception):
    def __init__(
        self, code: str, message: str, exit_code: int = EXIT_BAD_INPUT, *, details: Any = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code
        self.details = details


def fail(err: CliError, *, as_json: bool) -> NoReturn:
    if as_json:
        body: dict[str, Any] = {"code": err.code, "message": err.message}
        if err.details is not None:
            body["details"] = err.details
        print(json.dumps({"error": body}, default=str))
    # One line whatever the message holds: a person reads it, a script splits it.
    message = " ".join(err.message.split())
    print(f"error: {err.code}: {message}", file=sys.stderr)
    raise SystemExit(err.exit_code)


def as_cli_error(err: BaseException) -> CliError:
    """The stable code for a failure no command mapped itself (never a raw traceback)."""
    from temporalio.service import RPCError, RPCStatusCode

    if isinstance(err, CliError):
        return err
    if isinstance(err, AppError):
        exit_code = EXIT_BY_CODE.get(err.code, EXIT_BAD_INPUT)
        return CliError(err.code, err.message, exit_code, details=err.details)
    if isinstance(err, KeyboardInterrupt):
        return CliError("INTERRUPTED", "stopped by Ctrl-C", EXIT_INTERRUPTED)
    if isinstance(err, RPCError):
        if err.status is RPCStatusCode.NOT_FOUND:
            return CliError("NOT_FOUND", err.message, EXIT_NOT_FOUND)
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return CliError("TEMPORAL_UNAVAILABLE", err.message, EXIT_UNREACHABLE)
        return CliError("TEMPORAL_ERROR", f"{err.status.name}: {err.message}", EXIT_BAD_INPUT)
    if isinstance(err, UnicodeDecodeError):
        return CliError("VALIDATION_ERROR", f"input is not UTF-8 text ({err.reason})")
    if isinstance(err, OSError):
        return CliError("IO_ERROR", str(err), EXIT_UNREACHABLE)
    return CliError(
        "INTERNAL",
        f"{type(err).__name__}: {err} (set {DEBUG_ENV}=1 for the traceback)",
        EXIT_INTERNAL,
    )


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")
