"""The tenant session's one-round-trip set-up script takes literals: only a valid tenant id
may reach it."""

from __future__ import annotations

import pytest

from opsflow.db.session import TOOL_ROLE, _setup_sql


def _script(tenant_id: str, *, readonly: bool = True) -> str:
    return _setup_sql(
        tenant_id, readonly=readonly, timeout_ms=1500, work_mem_kb=64, temp_file_limit_kb=0
    )


def test_the_script_opens_the_transaction_and_switches_role_last() -> None:
    script = _script("t_acme")
    assert script.startswith("BEGIN READ ONLY; SELECT ")
    assert "set_config('app.tenant_id', 't_acme', true)" in script
    assert "set_config('statement_timeout', '1500', true)" in script
    assert script.endswith(f"set_config('role', '{TOOL_ROLE}', true)")
    assert _script("t_acme", readonly=False).startswith("BEGIN; SELECT ")


@pytest.mark.parametrize("bad", ["t_acme'; DROP TABLE ci; --", "T_ACME", "", "t acme", "t\\x"])
def test_anything_but_a_tenant_id_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a tenant id"):
        _script(bad)
