"""The dependency graph: ``source -> target`` means source depends on target.

"Upstream" of a CI is what it depends on (its targets, transitively): the direction
in which a root cause is searched from the symptomatic focus CI.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable


class DependencyGraph:
    def __init__(self, edges: Iterable[tuple[str, str]]) -> None:
        deps: dict[str, set[str]] = {}
        users: dict[str, set[str]] = {}
        for src, dst in edges:
            deps.setdefault(src, set()).add(dst)
            users.setdefault(dst, set()).add(src)
        # Sorted neighbour lists: BFS tie-breaks (equal-length paths) are then stable.
        self._deps = {k: sorted(v) for k, v in deps.items()}
        self._users = {k: sorted(v) for k, v in users.items()}
        self._down_cache: dict[str, frozenset[str]] = {}
        self._up_cache: dict[str, frozenset[str]] = {}

    def __contains__(self, ci: object) -> bool:
        return ci in self._deps or ci in self._users

    @property
    def empty(self) -> bool:
        return not self._deps

    def paths_from(self, focus: str) -> dict[str, list[str]]:
        """Shortest dependency path from ``focus`` to every CI it depends on (and itself)."""
        paths: dict[str, list[str]] = {focus: [focus]}
        queue = deque([focus])
        while queue:
            node = queue.popleft()
            for nxt in self._deps.get(node, ()):
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    queue.append(nxt)
        return paths

    def direct_dependencies(self, ci: str) -> list[str]:
        """What ``ci`` calls directly (sorted)."""
        return list(self._deps.get(ci, ()))

    def direct_dependents(self, ci: str) -> list[str]:
        """What calls or runs on ``ci`` directly (sorted)."""
        return list(self._users.get(ci, ()))

    def dependencies(self, ci: str) -> frozenset[str]:
        """Everything ``ci`` depends on, transitively (not ``ci`` itself)."""
        return self._closure(ci, self._deps, self._down_cache)

    def dependents(self, ci: str) -> frozenset[str]:
        """Everything that depends on ``ci``, transitively (not ``ci`` itself)."""
        return self._closure(ci, self._users, self._up_cache)

    @staticmethod
    def _closure(
        start: str, adjacency: dict[str, list[str]], cache: dict[str, frozenset[str]]
    ) -> frozenset[str]:
        if start in cache:
            return cache[start]
        seen: set[str] = set()
        stack = list(adjacency.get(start, ()))
        while stack:
            node = stack.pop()
            if node in seen or node == start:
                continue
            seen.add(node)
            stack.extend(adjacency.get(node, ()))
        result = frozenset(seen)
        cache[start] = result
        return result
