"""Start (or reuse) both servers and hand out the endpoints other processes read from env."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from opsflow.settings import Settings
from opsflow_app.stack._procs import port_open
from opsflow_app.stack.errors import Announce, StackError, silent
from opsflow_app.stack.postgres_server import EmbeddedPostgres
from opsflow_app.stack.temporal_server import TemporalDevServer

OWNER_FILE = "stack.pid"


@dataclass(frozen=True)
class StackEndpoints:
    temporal_address: str
    db_dsn: str
    ui_url: str

    def env_pairs(self) -> list[tuple[str, str]]:
        return [
            ("TEMPORAL_ADDRESS", self.temporal_address),
            ("OPSFLOW_DB_DSN", self.db_dsn),
            ("TEMPORAL_UI_URL", self.ui_url),
        ]

    def env_lines(self) -> list[str]:
        """Lines a shell runs as they are (pasted, or sourced from ``--env-file``)."""
        return [f"export {key}={shlex.quote(value)}" for key, value in self.env_pairs()]


def _reachable(variable: str, address: str, host: str | None, port: int | None) -> None:
    if host is None or port is None or not port_open(host, port, timeout=1.0):
        raise StackError(
            "SERVER_UNREACHABLE",
            f"{variable}={address} is set, so no embedded server is started for it, and"
            f" nothing answers at {host}:{port}; run `unset {variable}` to use the embedded"
            " one, or start that server",
        )


def check_configured(settings: Settings) -> None:
    """Servers named in the environment must answer: say which variable points where."""
    if settings.temporal_address:
        host, _, port = settings.temporal_address.rpartition(":")
        _reachable(
            "TEMPORAL_ADDRESS",
            settings.temporal_address,
            host or None,
            int(port) if port.isdigit() else None,
        )
    if settings.db_dsn:
        url = urlsplit(settings.db_dsn)
        shown = url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()  # no password
        _reachable("OPSFLOW_DB_DSN", shown, url.hostname or "127.0.0.1", url.port or 5432)


def _live(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedStack:
    """Servers configured in the environment are used as they are; the rest are started."""

    def __init__(
        self,
        settings: Settings,
        *,
        data_dir: Path | None = None,
        temporal_port: int = 7233,
        ui_port: int = 8233,
        pg_port: int = 55432,
        ui: bool = True,
        announce: Announce = silent,
    ) -> None:
        self.root = (data_dir or settings.data_dir).resolve()
        self.settings = settings
        self.announce = announce
        self.temporal: TemporalDevServer | None = None
        self.postgres: EmbeddedPostgres | None = None
        self._owner = False
        if settings.temporal_address is None:
            self.temporal = TemporalDevServer(
                self.root / "temporal", port=temporal_port, ui_port=ui_port, ui=ui
            )
        if settings.db_dsn is None:
            self.postgres = EmbeddedPostgres(self.root / "postgres", port=pg_port, root=self.root)

    def start(self) -> StackEndpoints:
        """Start what is missing; on any failure or interrupt, stop what was started."""
        try:
            check_configured(self.settings)
            if self.postgres is not None:
                self.postgres.start(announce=self.announce)
            if self.temporal is not None:
                self.temporal.start(announce=self.announce)
            self._claim()
        except BaseException:
            self.stop()
            raise
        return self.endpoints

    def _claim(self) -> None:
        """Own the servers unless a live stack process does: a stack that died (killed, or
        stopped mid start-up) leaves servers nobody would stop, so the next one adopts them."""
        if self.postgres is None and self.temporal is None:
            return
        owner_file = self.root / OWNER_FILE
        try:
            owner = int(owner_file.read_text().strip())
        except (OSError, ValueError):
            owner = None
        if owner is not None and owner != os.getpid() and _live(owner):
            self.announce(f"sharing the servers of the running stack (pid {owner})")
            return
        self.root.mkdir(parents=True, exist_ok=True)
        owner_file.write_text(f"{os.getpid()}\n")
        self._owner = True
        if self.postgres is not None and self.postgres.reused:
            self.postgres.adopt()
        if self.temporal is not None and self.temporal.reused:
            self.temporal.adopt()

    @property
    def endpoints(self) -> StackEndpoints:
        address = self.temporal.address if self.temporal else self.settings.temporal_address
        dsn = self.postgres.dsn if self.postgres else self.settings.db_dsn
        ui_url = self.temporal.ui_url if self.temporal else self.settings.temporal_ui_url
        assert address is not None and dsn is not None
        return StackEndpoints(temporal_address=address, db_dsn=dsn, ui_url=ui_url)

    def stop(self) -> None:
        try:
            if self.temporal is not None:
                self.temporal.stop()
        finally:
            if self.postgres is not None:
                self.postgres.stop()
            if self._owner:
                (self.root / OWNER_FILE).unlink(missing_ok=True)
                self._owner = False
