"""The one rule for a tenant id, wherever one enters: request, CLI, importer, prompt, SQL."""

from __future__ import annotations

import re
from typing import Final

# Lower-case identifier: safe inside a SQL literal, a workflow id and a search attribute.
TENANT_ID_PATTERN: Final = r"^[a-z][a-z0-9_]{1,62}$"
_TENANT_ID: Final = re.compile(TENANT_ID_PATTERN)


def is_tenant_id(value: str) -> bool:
    return _TENANT_ID.fullmatch(value) is not None
