"""Why the embedded stack could not start, with a stable code the CLI prints."""

from __future__ import annotations

from collections.abc import Callable

# Host changes and reuse decisions are told to the operator through this (stderr in the CLI).
Announce = Callable[[str], None]


def silent(_: str) -> None:
    """Default announcer for library use (tests, bench): nothing to tell a person."""


class StackError(Exception):
    """PORT_IN_USE, HOST_SETUP or SERVER_UNREACHABLE, with what to do about it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
