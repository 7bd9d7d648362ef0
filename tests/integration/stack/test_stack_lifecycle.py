"""The embedded stack's edges: stopped at any moment (SIGTERM during start-up too) both
servers stop; a server found on the port is reused only when it serves our data dir; a
server named in the environment that does not answer is named with its variable."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsflow.settings import Settings
from opsflow_app.stack import EmbeddedStack, StackEndpoints
from opsflow_app.stack._procs import free_port, port_open
from opsflow_app.stack.embedded import check_configured
from opsflow_app.stack.errors import StackError
from opsflow_app.stack.postgres_server import EmbeddedPostgres

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
STOP_BOUND_S = 60.0


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="opsflow-test-lifecycle-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _offline() -> Settings:
    return Settings(OPSFLOW_ENV="test").model_copy(
        update={"temporal_address": None, "db_dsn": None}
    )


def _wait(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_sigterm_during_start_up_stops_both_servers(data_dir: Path) -> None:
    pg_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from opsflow_app.cli.stack_cmd import stop_on_signals
        from opsflow.settings import Settings
        from opsflow_app.stack import EmbeddedStack

        settings = Settings(OPSFLOW_ENV="test").model_copy(
            update={{"temporal_address": None, "db_dsn": None}}
        )
        stack = EmbeddedStack(
            settings, data_dir=Path({str(data_dir)!r}), temporal_port={temporal_port},
            ui_port={ui_port}, pg_port={pg_port}, ui=False,
        )
        with stop_on_signals():
            try:
                stack.start()
            except KeyboardInterrupt:
                raise SystemExit(130)
            raise SystemExit(0)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSFLOW_", "TEMPORAL_"))}
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env)
    try:
        # PostgreSQL is up, Temporal is still starting: the middle of start-up.
        assert _wait(lambda: port_open("127.0.0.1", pg_port), 60), "PostgreSQL never came up"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_BOUND_S) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _wait(lambda: not port_open("127.0.0.1", pg_port), 20), "PostgreSQL left running"
    assert not port_open("127.0.0.1", temporal_port), "Temporal left running"
    assert not (data_dir / "postgres" / "pgdata" / "postmaster.pid").exists()


def test_a_postgres_of_another_data_dir_is_not_reused(data_dir: Path) -> None:
    port = free_port()
    other = EmbeddedPostgres(data_dir / "other", port=port, root=data_dir)
    other.start()
    try:
        stack = EmbeddedStack(
            _offline(),
            data_dir=data_dir / "mine",
            temporal_port=free_port(),
            ui_port=free_port(),
            pg_port=port,
            ui=False,
        )
        with pytest.raises(StackError) as raised:
            stack.start()
        assert raised.value.code == "PORT_IN_USE"
        assert str(other.pgdata.resolve()) in raised.value.message
        assert port_open("127.0.0.1", port), "the other server must be left alone"
    finally:
        other.stop()


def test_a_dead_stacks_servers_are_reused_and_then_stopped(data_dir: Path) -> None:
    ports = {"temporal_port": free_port(), "ui_port": free_port(), "pg_port": free_port()}

    def stack() -> EmbeddedStack:
        return EmbeddedStack(
            _offline(),
            data_dir=data_dir,
            ui=False,
            temporal_port=ports["temporal_port"],
            ui_port=ports["ui_port"],
            pg_port=ports["pg_port"],
        )

    first = stack()
    first.start()
    # The first stack "dies": its owner file names a pid that no longer runs.
    (data_dir / "stack.pid").write_text("999999999\n")
    second = stack()
    try:
        second.start()
        assert second.postgres is not None and second.postgres.reused
        assert second.temporal is not None and second.temporal.reused
    finally:
        second.stop()
    assert _wait(lambda: not port_open("127.0.0.1", ports["pg_port"]), 20)
    assert _wait(lambda: not port_open("127.0.0.1", ports["temporal_port"]), 20)
    first.stop()  # nothing left to stop: must not raise


def test_a_configured_server_that_does_not_answer_is_named() -> None:
    closed = f"127.0.0.1:{free_port()}"
    settings = Settings(OPSFLOW_ENV="test").model_copy(update={"temporal_address": closed})
    with pytest.raises(StackError) as raised:
        check_configured(settings)
    assert raised.value.code == "SERVER_UNREACHABLE"
    assert f"TEMPORAL_ADDRESS={closed}" in raised.value.message
    dsn = f"postgresql://postgres:secret@127.0.0.1:{free_port()}/opsflow"
    settings = Settings(OPSFLOW_ENV="test").model_copy(update={"db_dsn": dsn})
    with pytest.raises(StackError) as raised:
        check_configured(settings)
    assert "OPSFLOW_DB_DSN=postgresql://127.0.0.1" in raised.value.message
    assert "secret" not in raised.value.message


def test_printed_lines_export_in_a_shell() -> None:
    endpoints = StackEndpoints("127.0.0.1:7233", "postgresql://postgres@127.0.0.1:1/x", "http://u")
    lines = "\n".join(endpoints.env_lines())
    out = subprocess.run(
        ["sh", "-c", f"{lines}\nsh -c 'echo \"$TEMPORAL_ADDRESS|$OPSFLOW_DB_DSN\"'"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "127.0.0.1:7233|postgresql://postgres@127.0.0.1:1/x"
