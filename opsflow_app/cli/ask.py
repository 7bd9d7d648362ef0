"""``ask``: build the request (opsflow_app.client.questions starts it, progress.py follows it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic

from opsflow.models import OpsRequest
from opsflow_app.cli.errors import EXIT_BAD_INPUT, CliError


def parse_reference_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise CliError("VALIDATION_ERROR", f"--at {value!r}: not ISO 8601 or unix seconds") from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_request(
    question: str,
    tenant: str,
    *,
    at: str | None = None,
    deadline_s: float = 60.0,
    max_parallel: int = 4,
    require_llm: bool = False,
) -> OpsRequest:
    try:
        return OpsRequest(
            question=question,
            tenant_id=tenant,
            reference_time=parse_reference_time(at),
            deadline_s=deadline_s,
            max_parallel=max_parallel,
            require_llm=require_llm,
        )
    except pydantic.ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise CliError("VALIDATION_ERROR", problems, EXIT_BAD_INPUT) from err
