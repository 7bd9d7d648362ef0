"""``client.py check-sql`` runs the activity's validator over whole corpora."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPORA = REPO / "tests" / "corpora"


def _check(path: Path | None, stdin: str | None = None) -> list[dict[str, object]]:
    target = str(path) if path else "-"
    done = subprocess.run(
        [sys.executable, "client.py", "check-sql", "--tenant", "t_acme", "--file", target],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_attack_is_blocked_and_every_benign_query_passes() -> None:
    attacks = _check(CORPORA / "sql_attacks.txt")
    benign = _check(CORPORA / "sql_benign.txt")
    assert len(attacks) >= 80 and len(benign) >= 40
    assert all(not r["valid"] and r["violations"] for r in attacks)
    assert all(r["valid"] and r["violations"] == [] for r in benign)
    for row in attacks:
        assert set(row) == {"sql", "valid", "violations"}
        for violation in row["violations"]:  # type: ignore[attr-defined]
            assert set(violation) == {"code", "message"}
            assert violation["code"].startswith("SQL_")


def test_stdin_is_read_when_file_is_dash() -> None:
    rows = _check(None, stdin="SELECT 1 FROM ci WHERE tenant_id = 't_acme'\nDROP TABLE ci\n")
    assert [r["valid"] for r in rows] == [True, False]


def test_every_command_refuses_a_malformed_tenant_with_one_line() -> None:
    hostile = "t_acme' OR TenantId != 'x"
    for argv in (
        ["list", "--tenant", hostile],
        ["ask", "why is checkout slow?", "--tenant", hostile],
        ["check-sql", "--tenant", hostile, "--file", "-"],
        ["import", "--tenant", hostile, "--metrics", "missing.csv"],
        ["check-sql", "--tenant", "t_acme\n", "--file", "-"],
    ):
        done = subprocess.run(
            [sys.executable, "client.py", *argv],
            cwd=REPO,
            input="SELECT 1\n",
            capture_output=True,
            text=True,
            timeout=120,
            # No Temporal or database: the refusal must come before any connection.
            env={"PATH": "/usr/bin:/bin", "TEMPORAL_ADDRESS": "127.0.0.1:1"},
        )
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith("error: VALIDATION_ERROR: tenant id "), line
