"""A Prometheus server on backfilled data: Debian's ``prometheus`` and ``promtool``.

``promtool tsdb create-blocks-from openmetrics`` turns OpenMetrics text into TSDB blocks in
the data directory, then the server starts on it with no scrape targets. Backfilled data
has no staleness markers, so the lookback window is just under a minute (the finest step
OpsFlow asks for; Prometheus 2 includes the window's left edge): a sample is seen at its
own time only, not repeated at the next steps or for five minutes after a series ends.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from opsflow_app.stack._procs import stop_process, wait_for_port

ENABLE_HINT = "install Debian's prometheus package (apt-get install prometheus) to enable it"
_CONFIG = "global:\n  scrape_interval: 1m\nscrape_configs: []\n"


def prometheus_available() -> bool:
    return shutil.which("prometheus") is not None and shutil.which("promtool") is not None


class PrometheusServer:
    def __init__(self, data_dir: Path, *, port: int, lookback: str = "59s") -> None:
        self.data_dir = data_dir
        self.port = port
        self.lookback = lookback
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def backfill(self, openmetrics: Path) -> None:
        """Blocks from ``openmetrics`` into the TSDB (before ``start``)."""
        tsdb = self.data_dir / "tsdb"
        tsdb.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(tsdb)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"promtool backfill failed: {done.stderr.strip()[-400:]}")

    def start(self, timeout_s: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "prometheus.yml"
        config.write_text(_CONFIG)
        log = (self.data_dir / "prometheus.log").open("ab")
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
                # Backfilled history may be old: keep it all (retention counts from the
                # newest block, and the demo's data is days old at most).
                "--storage.tsdb.retention.time=36500d",
                f"--query.lookback-delta={self.lookback}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for_port("127.0.0.1", self.port, timeout_s, self.proc)
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # still replaying its TSDB: ask again
            time.sleep(0.2)
        raise TimeoutError(f"prometheus at {self.url} not ready within {timeout_s:.0f}s")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
