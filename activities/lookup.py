"""Shared look-ups for the tools: CI names to ids, parameters, JSON-safe values."""

from __future__ import annotations

import difflib
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import pydantic

from opsflow.errors import UnknownCiError, ValidationError
from opsflow.models import ToolCall
from opsflow.params import P, TargetParams, describe, parse_params


async def ci_ids_by_name(
    conn: asyncpg.Connection, tenant_id: str, names: list[str]
) -> dict[str, tuple[str, str]]:
    """Lower-cased name -> (id, canonical name); unknown names raise ``UNKNOWN_CI``."""
    if not names:
        return {}
    rows = await conn.fetch(
        "SELECT id, name FROM ci WHERE tenant_id = $1 AND lower(name) = ANY($2::text[])",
        tenant_id,
        [n.lower() for n in names],
    )
    found = {r["name"].lower(): (r["id"], r["name"]) for r in rows}
    missing = [n for n in names if n.lower() not in found]
    if missing:
        known = [
            r["name"]
            for r in await conn.fetch("SELECT name FROM ci WHERE tenant_id = $1", tenant_id)
        ]
        hints = {n: difflib.get_close_matches(n, known, n=3) for n in missing}
        raise UnknownCiError(
            f"unknown CI {', '.join(missing)} for tenant {tenant_id}"
            + "".join(f"; did you mean {', '.join(h)}?" for h in hints.values() if h)
        )
    return found


def params_of(model: type[P], call: ToolCall) -> P:
    """The call's parameters, parsed by its capability's model (defaults and bounds applied).

    Resolution validated them already; a call that still fails (a hand-made ``ToolCall``)
    is a request error, never retried.
    """
    try:
        return parse_params(model, call.params)
    except pydantic.ValidationError as err:
        raise ValidationError("; ".join(describe(err, call.capability))) from err


def target_ci_names(call: ToolCall, params: TargetParams) -> list[str]:
    """CIs named by the step (``ci``, ``cis``) plus, with ``include_inputs``, its parents'."""
    names = [n for n in [params.ci, *params.cis] if n]
    if params.include_inputs:
        for parent in call.inputs.values():
            names += [c.name for c in parent.cis]
            names += [e.target for e in parent.edges] + [e.source for e in parent.edges]
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
