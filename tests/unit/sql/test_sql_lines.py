"""check_sql_lines: the CLI's view, one JSON-ready verdict per non-blank line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from opsflow.sql import check_sql_lines


def test_one_result_per_non_blank_line_with_the_cli_shape() -> None:
    lines = [
        "SELECT name FROM ci WHERE tenant_id = 't_acme'\n",
        "\n",
        "   \n",
        "SELECT pg_sleep(1)\n",
    ]
    results = list(check_sql_lines(lines, "t_acme"))
    assert results == [
        {"sql": "SELECT name FROM ci WHERE tenant_id = 't_acme'", "valid": True, "violations": []},
        {
            "sql": "SELECT pg_sleep(1)",
            "valid": False,
            "violations": [{"code": "SQL_FUNCTION", "message": "function pg_sleep is not allowed"}],
        },
    ]
    # JSON lines for the terminal: every value is plain JSON.
    assert json.loads(json.dumps(results)) == results


def test_lines_are_consumed_lazily() -> None:
    def endless() -> Iterator[str]:
        while True:
            yield "SELECT 1"

    results = check_sql_lines(endless(), "t_acme")
    assert next(results)["valid"] is True
