"""Who depends on a CI, and what it depends on, from the answer's dependency edges.

An edge ``(source, target)`` means source depends on target (tool_io.EdgeRecord)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Reached:
    name: str
    via: str | None  # the neighbour it is reached through; None when direct


def walk(edges: list[tuple[str, str]], focus: str, *, dependents: bool) -> list[Reached]:
    """Breadth first from ``focus``: nearest first, each CI once, with the CI it came through."""
    neighbours: dict[str, list[str]] = {}
    for source, target in edges:
        start, end = (target, source) if dependents else (source, target)
        neighbours.setdefault(start.lower(), []).append(end)
    seen = {focus.lower()}
    found: list[Reached] = []
    queue: deque[tuple[str, str | None]] = deque([(focus, None)])
    while queue:
        name, _ = queue.popleft()
        for nxt in sorted(neighbours.get(name.lower(), [])):
            if nxt.lower() in seen:
                continue
            seen.add(nxt.lower())
            found.append(Reached(nxt, None if name.lower() == focus.lower() else name))
            queue.append((nxt, name))
    return found
