"""Each intent's answer as a person sees it: ``client.py show`` on an 80-column terminal.

The answers are built on the result contract (tests/unit/render/answers.py), so the test
holds whatever the analysis ranks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.terminal import run_in_terminal
from tests.unit.render import answers

REPO = Path(__file__).resolve().parents[3]
COLUMNS = 80

# The words a person needs for each intent (names whole, times as HH:MM).
NEEDED = {
    "why_slow": [
        f"Most likely cause: {answers.LONG_CI} (score 0.91).",
        "07:15 deploy of",
        "latency_p95 (ms)",
        "420 ms",
        "120 ms",
        "1 at 07:15: deploy",
        "2 at 07:35: config_change payments-api",
        "06:40",
        "2026-11-29, times UTC",
        "payments-db",
    ],
    "what_changed": [
        "1 change on payments-api in the window:",
        f"07:15 deploy {answers.LONG_CI}: rolled out v2.4.1",
        f"Most likely cause: {answers.LONG_CI}",
    ],
    "dependents": [
        "6 CIs depend on payments-db (2 directly):",
        "• payments-api",
        "• billing-worker",
        "• checkout-api (through payments-api)",
        "• mobile-gateway (through billing-worker)",
        f"• {answers.LONG_CI} (through checkout-api)",
        "• storefront-web (through checkout-api)",
    ],
    "dependencies": ["checkout-api depends on 2 CIs", "• payments-db (through payments-api)"],
    "top_n": [
        "Top 5 hosts by cpu (%) over the last 60 min",
        "leads at 91.5%",
        "avg (%)",
        "max (%)",
        *[f"{answers.LONG_CI}-{i}" for i in range(5)],
    ],
    "top_n_fallback": [
        "The ranking query did not run (sql_blocked); metric_query answered instead",
        "web-1.cpu (%)",
        "fallback direct_query → metric_query (sql_blocked)",
    ],
    "alert_counts": [f"7 alerts on 1 CI; the most on {answers.LONG_CI} (7).", "07:37"],
    "alerts": ["2 alerts or incidents in the window.", "07:38", "11-28 07:30", "p95 over SLO"],
    "health": ["42 CIs", "highest error rate", "errors/request", "41 more rows"],
    "failure": ["No answer:", "'nosuch-api'", "(UNKNOWN_CI)"],
}


@pytest.mark.parametrize("intent", sorted(answers.ALL))
def test_answer_is_readable_at_80_columns(intent: str, tmp_path: Path) -> None:
    saved = tmp_path / "answer.json"
    saved.write_text(answers.ALL[intent]().model_dump_json())
    status, lines = run_in_terminal(
        [sys.executable, str(REPO / "client.py"), "show", str(saved)],
        columns=COLUMNS,
        env=os.environ,
    )
    screen = "\n".join(lines)
    assert status == 0, screen
    assert all(len(line) <= COLUMNS for line in lines), screen
    for words in NEEDED[intent]:
        assert words in screen, f"{words!r} not on screen:\n{screen}"
    # Nothing cut: no ellipsis but the "more rows" hint, no raw ISO stamps.
    assert all("…" not in line or "more rows" in line for line in lines), screen
    assert "2026-11-29T" not in screen
    assert "Traceback" not in screen


def test_evidence_and_summary_are_shown_once(tmp_path: Path) -> None:
    saved = tmp_path / "answer.json"
    saved.write_text(answers.why_slow().model_dump_json())
    _, lines = run_in_terminal(
        [sys.executable, str(REPO / "client.py"), "show", str(saved)],
        columns=COLUMNS,
        env=os.environ,
    )
    screen = "\n".join(lines)
    assert screen.count("latency_p95 412 ms against baseline 120 ms") == 1, screen
    assert "template text" not in screen  # the template restates what the lead shows
    assert "Root-cause candidates" not in screen


def test_dependents_answer_does_not_talk_about_anomalies(tmp_path: Path) -> None:
    saved = tmp_path / "answer.json"
    saved.write_text(answers.dependents().model_dump_json())
    _, lines = run_in_terminal(
        [sys.executable, str(REPO / "client.py"), "show", str(saved)],
        columns=COLUMNS,
        env=os.environ,
    )
    screen = "\n".join(lines)
    assert "anomaly" not in screen.lower(), screen
    # Words first: the count of dependents comes before anything else after the header.
    body = [line for line in lines[2:] if line.strip()]
    assert body[0].startswith("6 CIs depend on payments-db"), screen
