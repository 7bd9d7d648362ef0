"""Every command fed bad input: one line ``error: CODE: reason``, a stable exit code, no
traceback. Against the session's real servers where the command needs one."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
from temporalio.client import Client

from opsflow.models import OrchestrationResult, Status
from opsflow.settings import Settings
from opsflow_app.cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILED_ANSWER,
    EXIT_NOT_FOUND,
    EXIT_UNREACHABLE,
    CliError,
)
from opsflow_app.cli.history_cmd import replay_files
from opsflow_app.cli.pollers import ensure_worker
from tests.integration.ops.support import (
    QUESTION,
    TENANT,
    VISIBILITY_WAIT_S,
    Completed,
    child_env,
    poll,
    run_cli,
    worker_polling,
)

pytestmark = pytest.mark.integration

# The operator hears about a missing worker well before this.
NO_WORKER_BOUND_S = 5.0


def assert_one_error(run: Completed, code: str, exit_code: int) -> str:
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(f"error: {code}: "), run.stderr
    assert sum(1 for line in lines if line.startswith("error:")) == 1, run.stderr
    assert run.returncode == exit_code, (run.returncode, run.stderr)
    return lines[-1]


async def test_ask_without_a_worker_names_the_command_to_start_one(settings: Settings) -> None:
    env = child_env(settings, OPSFLOW_TASK_QUEUE="nobody-polls-this-queue")
    run = await run_cli("ask", QUESTION, "--tenant", TENANT, env=env)
    line = assert_one_error(run, "NO_WORKER", EXIT_UNREACHABLE)
    assert "python worker.py" in line and "nobody-polls-this-queue" in line


async def test_the_worker_check_answers_within_5_s(
    settings: Settings, temporal_client: Client
) -> None:
    # Timed in-process: a CLI's interpreter start-up on a loaded 2-core host is not ours.
    lonely = settings.model_copy(update={"task_queue": "nobody-polls-this-queue-either"})
    started = time.monotonic()
    with pytest.raises(CliError) as raised:
        await ensure_worker(temporal_client, lonely)
    assert raised.value.code == "NO_WORKER"
    assert time.monotonic() - started < NO_WORKER_BOUND_S


async def test_the_worker_check_passes_with_a_worker(
    worker_settings: Settings, temporal_client: Client
) -> None:
    await worker_polling(temporal_client, worker_settings)
    await ensure_worker(temporal_client, worker_settings)  # raises when it sees no poller


async def test_ask_unknown_tenant_is_a_failed_answer_listed_as_such(
    worker_settings: Settings, temporal_client: Client
) -> None:
    await worker_polling(temporal_client, worker_settings)
    env = child_env(worker_settings)
    run = await run_cli("ask", QUESTION, "--tenant", "t_nobody", "--json", env=env)
    assert run.returncode == EXIT_FAILED_ANSWER, run.stderr
    answer = OrchestrationResult.model_validate(json.loads(run.stdout))
    assert answer.status is Status.FAILURE and answer.error_code == "UNKNOWN_TENANT"

    async def listed() -> dict[str, object] | None:
        out = await run_cli("list", "--tenant", "t_nobody", "--json", env=env)
        rows = json.loads(out.stdout)
        return next((r for r in rows if r["workflow_id"] == answer.workflow_id), None)

    row = await poll(listed, timeout_s=VISIBILITY_WAIT_S, interval_s=0.5)
    assert row is not None
    assert (row["status"], row["error"], row["question"]) == ("failure", "UNKNOWN_TENANT", QUESTION)
    text = await run_cli("list", "--tenant", "t_nobody", env=env)
    assert "failure: UNKNOWN_TENANT" in text.stdout and QUESTION in text.stdout


async def test_ask_llm_without_an_llm_refuses(
    worker_settings: Settings, temporal_client: Client
) -> None:
    await worker_polling(temporal_client, worker_settings)
    run = await run_cli(
        "ask", QUESTION, "--tenant", TENANT, "--llm", "--json", env=child_env(worker_settings)
    )
    answer = OrchestrationResult.model_validate(json.loads(run.stdout))
    assert (answer.status, answer.error_code) == (Status.FAILURE, "LLM_DISABLED")
    assert run.returncode == EXIT_FAILED_ANSWER


async def test_ask_bad_reference_time(settings: Settings) -> None:
    run = await run_cli(
        "ask", QUESTION, "--tenant", TENANT, "--at", "yesterday", env=child_env(settings)
    )
    assert_one_error(run, "VALIDATION_ERROR", EXIT_BAD_INPUT)


async def test_result_unknown_id(settings: Settings) -> None:
    run = await run_cli("result", "opsflow-t_acme-nosuchrun", env=child_env(settings))
    assert_one_error(run, "NOT_FOUND", EXIT_NOT_FOUND)


async def test_history_unknown_id(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "h.json"
    run = await run_cli(
        "history", "opsflow-t_acme-nosuchrun", "-o", str(out), env=child_env(settings)
    )
    assert_one_error(run, "NOT_FOUND", EXIT_NOT_FOUND)
    assert not out.exists()


@pytest.mark.parametrize(
    "content",
    [b"garbage", b'{"x": 1}', b"[1, 2]", b'{"events": [{"eventId": "1"}]}', b"\xff\xfe\x00"],
    ids=["not-json", "object", "list", "no-start-event", "not-utf8"],
)
async def test_replay_refuses_what_is_not_a_history(
    settings: Settings, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "garbage.json"
    bad.write_bytes(content)
    with pytest.raises(CliError) as raised:
        await replay_files(settings, [bad])
    assert raised.value.code == "VALIDATION_ERROR"


async def test_replay_garbage_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "garbage.json"
    bad.write_bytes(b'{"events": [{"eventId": "1"}]}')  # made the SDK's replayer hang
    run = await run_cli("replay", str(bad), env=child_env(settings), timeout_s=30)
    assert_one_error(run, "VALIDATION_ERROR", EXIT_BAD_INPUT)


async def test_list_rejects_a_query_breaking_tenant(settings: Settings) -> None:
    run = await run_cli("list", "--tenant", "x' OR '1'='1", env=child_env(settings))
    assert_one_error(run, "VALIDATION_ERROR", EXIT_BAD_INPUT)


async def test_check_sql_not_utf8(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "q.sql"
    bad.write_bytes(b"SELECT \xff\n")
    run = await run_cli(
        "check-sql", "--tenant", TENANT, "--file", str(bad), env=child_env(settings)
    )
    assert_one_error(run, "VALIDATION_ERROR", EXIT_BAD_INPUT)


async def test_import_non_utf8_and_all_bad_rows(
    settings: Settings, seeded: datetime, tmp_path: Path
) -> None:
    env = child_env(settings)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("ts,ci,metric,value\n1764400000,caf\xe9,cpu,1\n".encode("latin-1"))
    run = await run_cli("import", "--tenant", "t_badrows", "--metrics", str(latin), env=env)
    line = assert_one_error(run, "IMPORT_BAD_ROW", EXIT_BAD_INPUT)
    assert "UTF-8" in line
    bad = tmp_path / "bad.csv"
    rows = ["ts,ci,metric,value"] + [f"not-a-time-{i},web-{i},cpu,1" for i in range(3)]
    bad.write_text("\n".join(rows) + "\n")
    run = await run_cli("import", "--tenant", "t_badrows", "--metrics", str(bad), env=env)
    assert_one_error(run, "IMPORT_BAD_ROW", EXIT_BAD_INPUT)
    for line_no in (2, 3, 4):  # every bad row, not just the first
        assert f"bad.csv line {line_no}:" in run.stderr, run.stderr


async def test_import_prints_clean_numbers(
    settings: Settings, seeded: datetime, tmp_path: Path
) -> None:
    good = tmp_path / "ok.csv"
    now = int(time.time()) // 60 * 60
    good.write_text("ts,ci,metric,value,extra\n" + f"{now},imp-web-1,cpu,12.5,x\n")
    run = await run_cli(
        "import", "--tenant", "t_cleannum", "--metrics", str(good), env=child_env(settings)
    )
    assert run.returncode == 0, run.stderr
    assert "seconds=" not in run.stdout and "ignored_columns={" not in run.stdout
    assert "1 rows read" in run.stdout or "1 samples written" in run.stdout, run.stdout
    assert "ignored columns in ok.csv: extra" in run.stdout


async def test_tenants_and_cis(settings: Settings, seeded: datetime) -> None:
    env = child_env(settings)
    run = await run_cli("tenants", "--json", env=env)
    assert run.returncode == 0, run.stderr
    assert TENANT in {row["id"] for row in json.loads(run.stdout)}
    run = await run_cli("cis", "--tenant", TENANT, "--json", env=env)
    assert run.returncode == 0, run.stderr
    names = {row["name"] for row in json.loads(run.stdout)}
    assert "payments-api" in names
    unknown = await run_cli("cis", "--tenant", "t_nobody", env=env)
    assert_one_error(unknown, "UNKNOWN_TENANT", EXIT_NOT_FOUND)
    bad = await run_cli("cis", "--tenant", "Bad Tenant", env=env)
    assert_one_error(bad, "VALIDATION_ERROR", EXIT_BAD_INPUT)


async def test_seed_without_a_database(settings: Settings) -> None:
    env = child_env(settings)
    env.pop("OPSFLOW_DB_DSN")
    run = await run_cli("seed", env=env)
    assert_one_error(run, "CONFIG", EXIT_BAD_INPUT)


async def test_show_bad_file(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "a.json"
    bad.write_text('{"not": "an answer"}')
    run = await run_cli("show", str(bad), env=child_env(settings))
    assert_one_error(run, "VALIDATION_ERROR", EXIT_BAD_INPUT)
    run = await run_cli("show", str(tmp_path / "missing.json"), env=child_env(settings))
    assert_one_error(run, "NOT_FOUND", EXIT_NOT_FOUND)


async def test_codec_server_without_keys(settings: Settings) -> None:
    run = await run_cli("codec-server", "--port", "0", env=child_env(settings), timeout_s=30)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: ")
