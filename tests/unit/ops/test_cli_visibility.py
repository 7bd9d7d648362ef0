"""The visibility query of ``client.py list`` is built from checked values only."""

from __future__ import annotations

import pytest

from opsflow_app.cli.errors import CliError
from opsflow_app.cli.tenant_arg import checked_tenant, list_query, visibility_literal


def test_list_query_names_one_tenant_and_status() -> None:
    assert list_query("t_acme", "success") == (
        "WorkflowType = 'OpsOrchestrationWorkflow' AND TenantId = 't_acme'"
        " AND OpsStatus = 'success'"
    )
    assert "OpsStatus" not in list_query("t_acme", None)


@pytest.mark.parametrize(
    "tenant",
    ["t_acme' OR TenantId != 'x", "T_ACME", "t", "t_acme\n", "t-acme", "", "t_acme'--"],
)
def test_malformed_tenants_never_reach_the_query(tenant: str) -> None:
    with pytest.raises(CliError) as raised:
        list_query(tenant, None)
    assert raised.value.code == "VALIDATION_ERROR"
    with pytest.raises(CliError):
        checked_tenant(tenant)


@pytest.mark.parametrize("value", ["a'b", 'a"b', "a\\b", "a\nb"])
def test_literals_that_could_change_the_query_are_refused(value: str) -> None:
    with pytest.raises(CliError):
        visibility_literal(value)
