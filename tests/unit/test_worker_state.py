"""Activities keep no process-wide mutable state, and the tool context only reads."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.context import ContextActivities
from activities.resources import WorkerResources
from opsflow.names import ActivityName
from opsflow.policies import load_policies
from opsflow.settings import Settings

REPO = Path(__file__).resolve().parents[2]
MODULES = [*sorted((REPO / "activities").glob("*.py")), REPO / "opsflow" / "llm" / "breaker.py"]
_CONTAINERS = {"dict", "list", "set", "OrderedDict", "defaultdict", "deque"}
_MUTATORS = {
    "append",
    "extend",
    "insert",
    "add",
    "update",
    "setdefault",
    "pop",
    "popitem",
    "clear",
    "remove",
    "discard",
    "move_to_end",
    "appendleft",
}


def _mutated_globals(path: Path) -> list[str]:
    """Module-level containers that the module's code changes (a cache, a registry)."""
    tree = ast.parse(path.read_text())
    containers = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            value = stmt.value
            called = isinstance(value, ast.Call) and getattr(value.func, "id", "") in _CONTAINERS
            if isinstance(value, ast.Dict | ast.List | ast.Set) or called:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                containers |= {t.id for t in targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found += [f"{path.name}:{node.lineno}: global {n}" for n in node.names]
        target = None
        if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del)) or (
            isinstance(node, ast.Attribute) and node.attr in _MUTATORS
        ):
            target = node.value
        if isinstance(target, ast.Name) and target.id in containers:
            found.append(f"{path.name}:{target.lineno}: {target.id}")
    return found


def test_the_scan_finds_a_module_cache(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("_CACHE = {}\nTABLE = {1: 2}\n\ndef put(k, v):\n    _CACHE[k] = v\n")
    assert _mutated_globals(probe) == ["probe.py:5: _CACHE"]


def test_no_module_level_mutable_state_in_activities() -> None:
    assert [hit for path in MODULES for hit in _mutated_globals(path)] == []


class _RecordingPool:
    """Hands out a connection that records every statement it is given."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @asynccontextmanager
    async def acquire(self, timeout: float | None = None) -> AsyncIterator[Any]:
        pool = self

        class _Conn:
            async def fetch(self, sql: str, *args: Any, timeout: float | None = None) -> list[Any]:
                pool.statements.append(sql)
                return []

            async def executemany(self, sql: str, *args: Any) -> None:
                pool.statements.append(sql)

            async def execute(self, sql: str, *args: Any) -> str:
                pool.statements.append(sql)
                return ""

        yield _Conn()


async def test_load_tool_context_only_reads() -> None:
    pool = _RecordingPool()
    res = WorkerResources(pool=pool, settings=Settings(), policies=load_policies())  # type: ignore[arg-type]
    # Observations waiting to be flushed must stay where they are (the flusher's job).
    res.record_tool_call("ci_lookup", 12.0, True)
    context = await ActivityEnvironment().run(ContextActivities(res).load_tool_context)
    assert [s.split()[0].upper() for s in pool.statements] == ["SELECT"]
    assert res.stats_buffer == {"ci_lookup": [(12.0, True)]}
    assert ActivityName.LOAD_TOOL_CONTEXT in context.policies
