"""``--tenant`` for every command: checked once, and quoted safely where it is embedded.

The value reaches Temporal's visibility query language (``client.py list``), the SQL
validator and the ops database; each of those would read a quote in it as syntax.
"""

from __future__ import annotations

import re
from typing import Final

from opsflow.contracts import WORKFLOW_NAME
from opsflow.tenant_id import TENANT_ID_PATTERN
from opsflow_app.cli.errors import CliError

# fullmatch, not match: `$` in the pattern also matches before a trailing newline.
_TENANT: Final = re.compile(TENANT_ID_PATTERN)


def checked_tenant(value: str) -> str:
    """`value` when it is a valid tenant id; otherwise a VALIDATION_ERROR for the CLI."""
    if not _TENANT.fullmatch(value):
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise CliError("VALIDATION_ERROR", f"tenant id {shown!r} must match {TENANT_ID_PATTERN}")
    return value


def visibility_literal(value: str) -> str:
    """A visibility-query string literal; refuses what cannot be quoted unambiguously.

    Values are checked before they get here (tenant ids, status choices); this is the
    second line, so a future caller passing free text cannot change the query.
    """
    if "'" in value or '"' in value or "\\" in value or not value.isprintable():
        raise CliError("VALIDATION_ERROR", f"{value[:80]!r} cannot be used in a run query")
    return f"'{value}'"


def list_query(tenant: str, status: str | None) -> str:
    """The visibility query of ``client.py list``: one tenant's runs, optionally by status."""
    query = (
        f"WorkflowType = {visibility_literal(WORKFLOW_NAME)}"
        f" AND TenantId = {visibility_literal(checked_tenant(tenant))}"
    )
    if status:
        query += f" AND OpsStatus = {visibility_literal(status)}"
    return query
