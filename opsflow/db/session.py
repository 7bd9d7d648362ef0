"""Tenant sessions: how every tool touches the ops database.

A read-only transaction, the non-owner role (so row-level security applies), the tenant
in ``app.tenant_id``, a statement timeout, memory and temporary-file limits, and always
a rollback. Tool queries go through ``fetch()`` (extended protocol: one statement only);
``execute()`` runs only the session's own fixed set-up script, ``COMMIT`` and ``ROLLBACK``.

Fairness: at most ``SessionLimits.per_tenant`` sessions of one tenant hold pooled
connections at once in this process, so one tenant's slow or hostile queries cannot
take the whole pool; its other tool calls wait here, not in the pool's queue where
they would delay every other tenant.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

import asyncpg
import structlog

from opsflow.errors import ToolTimeoutError
from opsflow.settings import Settings
from opsflow.tenant_id import is_tenant_id

TOOL_ROLE = "opsflow_tool"
# A statement given less than this is not worth starting.
MIN_STATEMENT_MS = 500
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SessionLimits:
    """Per-session resource limits of the tool role (see Settings for the variables)."""

    # Sort and hash memory per plan node before spilling to temporary files.
    work_mem_kb: int = 8 * 1024
    # Temporary files per session: generate_series(1, 1e10) with a sort wrote 3-4 GB.
    temp_file_limit_kb: int = 128 * 1024
    # Sessions of one tenant holding pooled connections at once (per worker process).
    per_tenant: int = 4
    # Of those, LLM-written SQL (direct_query): the one tool whose cost the validator can
    # only bound by the statement timeout, so one tenant's hostile queries may hold at
    # most this many backends (CPU cores, on a small database host) at a time.
    sql_per_tenant: int = 1
    # ... and a failed one keeps its slot at least this long (failures per second bound).
    sql_failure_hold_s: float = 0.25

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionLimits:
        return cls(
            work_mem_kb=settings.tool_work_mem_kb,
            temp_file_limit_kb=settings.tool_temp_file_limit_kb,
            per_tenant=settings.tenant_db_concurrency,
            sql_per_tenant=settings.tenant_sql_concurrency,
            sql_failure_hold_s=settings.tenant_sql_failure_hold_s,
        )


_limits = SessionLimits()
# One semaphore per (event loop, tenant): a semaphore must not outlive its loop.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def configure_session_limits(limits: SessionLimits) -> None:
    """Set the limits every later session uses (the worker calls this at start)."""
    global _limits
    if (
        limits.per_tenant < 1
        or limits.sql_per_tenant < 1
        or limits.sql_failure_hold_s < 0
        or limits.work_mem_kb < 64
        or limits.temp_file_limit_kb < 0
    ):
        raise ValueError(f"invalid session limits: {limits}")
    _limits = limits
    _gates.clear()


def session_limits() -> SessionLimits:
    return _limits


def _gate(key: str, limit: int) -> asyncio.Semaphore:
    by_key = _gates.setdefault(asyncio.get_running_loop(), {})
    gate = by_key.get(key)
    if gate is None:
        gate = by_key[key] = asyncio.Semaphore(limit)
    return gate


@asynccontextmanager
async def sql_slot(tenant_id: str) -> AsyncIterator[None]:
    """Held around a direct_query session: at most `sql_per_tenant` per tenant at once;
    a session that fails keeps the slot for at least `sql_failure_hold_s`.

    The hold is a rate limit on failures only: a statement the database refuses at once
    (a row over the byte cap) still costs a session set-up, and 20 of them a second from
    one tenant made another tenant's p95 2-4x. Queries that succeed are not slowed.
    """
    gate = _gate("sql:" + tenant_id, _limits.sql_per_tenant)
    async with gate:
        began = time.monotonic()
        try:
            yield
        except asyncio.CancelledError:
            raise
        except Exception:
            rest = _limits.sql_failure_hold_s - (time.monotonic() - began)
            if rest > 0:
                await asyncio.sleep(rest)
            raise


@asynccontextmanager
async def tenant_session(
    pool: asyncpg.Pool,
    tenant_id: str,
    *,
    statement_timeout_ms: int,
    readonly: bool = True,
    commit: bool = False,
    deadline: float | None = None,
) -> AsyncIterator[asyncpg.Connection]:
    """``commit=True`` only for the claim store; every read path rolls back.

    ``deadline`` (``time.monotonic()``): the statement timeout is cut to the time left
    once the session has its connection, so waiting for the gate or the pool never lets
    a statement outlive its caller's budget; with less than MIN_STATEMENT_MS left the
    session is not opened (a retryable ``ToolTimeoutError``: nothing ran).
    """
    limits = _limits
    async with _gate("db:" + tenant_id, limits.per_tenant), pool.acquire() as conn:
        timeout_ms = int(statement_timeout_ms)
        if deadline is not None:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms < MIN_STATEMENT_MS:
                raise ToolTimeoutError(
                    f"no time left for the query after waiting {timeout_ms - left_ms} ms "
                    "for a database session"
                )
            timeout_ms = min(timeout_ms, left_ms)
        committed = False
        try:
            # One round trip opens the transaction and sets the session up: the role switch
            # last (set_config('role') is SET LOCAL ROLE), so a tool query cannot raise
            # these limits again (the tool role may not call set_config: revoked).
            # temp_file_limit needs a superuser, which the DSN user is (it also runs the
            # migrations).
            setup = _setup_sql(
                tenant_id,
                readonly=readonly,
                timeout_ms=timeout_ms,
                work_mem_kb=limits.work_mem_kb,
                temp_file_limit_kb=limits.temp_file_limit_kb,
            )
            await conn.execute(setup)
            # The pool's proxy forwards every Connection method.
            yield cast(asyncpg.Connection, conn)
            if commit:
                await conn.execute("COMMIT")
                committed = True
        finally:
            if not committed:
                try:
                    await conn.execute("ROLLBACK")
                except (asyncpg.InterfaceError, asyncpg.PostgresError) as err:
                    # The statement died under us (cancelled or timed out mid-flight): the
                    # pool resets or discards this connection on release, and the error
                    # that matters is the one already propagating, not this one.
                    log.warning("tenant_session_rollback_failed", error=str(err))


def _setup_sql(
    tenant_id: str, *, readonly: bool, timeout_ms: int, work_mem_kb: int, temp_file_limit_kb: int
) -> str:
    """``BEGIN`` and the session's settings as one simple-protocol script.

    Literals, not parameters (a script takes none): the tenant id must match the one tenant
    id rule (lower-case identifier, so it needs no escaping), the rest are integers.
    """
    if not is_tenant_id(tenant_id):
        raise ValueError(f"not a tenant id: {tenant_id!r}")
    mode = " READ ONLY" if readonly else ""
    return (
        f"BEGIN{mode}; SELECT set_config('app.tenant_id', '{tenant_id}', true),"
        f" set_config('statement_timeout', '{int(timeout_ms)}', true),"
        f" set_config('work_mem', '{int(work_mem_kb)}kB', true),"
        f" set_config('temp_file_limit', '{int(temp_file_limit_kb)}kB', true),"
        f" set_config('role', '{TOOL_ROLE}', true)"
    )
