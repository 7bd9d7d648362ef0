"""Headless Chromium (Debian's ``chromium``) as a test's browser: one page load, its
rendered DOM and a screenshot. A fresh profile per call; nothing reaches the network
beyond the URL given (background networking, component updates and sync are off)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_S = 45.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def render(
    url: str, *, profile: Path, screenshot: Path, budget_ms: int, size: str = "1600,2000"
) -> str:
    """The DOM after ``budget_ms`` of virtual time; the screenshot is written to a file."""
    args = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={screenshot}",
        f"--window-size={size}",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        url,
    ]
    # HOME too: Chromium writes crash reports and caches under it.
    env = {**os.environ, "HOME": str(profile)}
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=TIMEOUT_S)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.communicate()
        raise AssertionError(f"chromium did not finish within {TIMEOUT_S}s") from None
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode(errors="replace")
