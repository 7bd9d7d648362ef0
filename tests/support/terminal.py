"""Run a command in a pseudo-terminal of a given size and read the screen text it prints."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Mapping

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def run_in_terminal(
    args: list[str], *, columns: int, env: Mapping[str, str], timeout_s: float = 60.0
) -> tuple[int, list[str]]:
    """(exit status, screen lines without colour codes) of ``args`` run on a tty."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 200, columns, 0, 0))
    child_env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    child_env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=child_env, close_fds=True
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = _ANSI.sub("", b"".join(chunks).decode("utf-8", errors="replace"))
    return status, text.replace("\r\n", "\n").split("\n")
