"""Structured tools over configuration items and topology."""

from __future__ import annotations

from collections import deque

from activities.heartbeat import Heartbeater
from activities.lookup import ci_ids_by_name, params_of
from activities.resources import WorkerResources
from activities.tooling import tool_activity
from opsflow.db.session import tenant_session
from opsflow.errors import ToolExecutionError
from opsflow.models import CiRecord, EdgeRecord, ToolCall, ToolOutput
from opsflow.names import ToolName
from opsflow.params import CiSearchParams, GraphTraversalParams

_WALK_UP = """
WITH RECURSIVE walk(source_id, target_id, relation, depth) AS (
    SELECT r.source_id, r.target_id, r.relation, 1
      FROM ci_relation r WHERE r.tenant_id = $1 AND r.source_id = $2
    UNION
    SELECT r.source_id, r.target_id, r.relation, w.depth + 1
      FROM ci_relation r JOIN walk w ON r.source_id = w.target_id
     WHERE r.tenant_id = $1 AND w.depth < $3
)
"""
_WALK_DOWN = """
WITH RECURSIVE walk(source_id, target_id, relation, depth) AS (
    SELECT r.source_id, r.target_id, r.relation, 1
      FROM ci_relation r WHERE r.tenant_id = $1 AND r.target_id = $2
    UNION
    SELECT r.source_id, r.target_id, r.relation, w.depth + 1
      FROM ci_relation r JOIN walk w ON r.target_id = w.source_id
     WHERE r.tenant_id = $1 AND w.depth < $3
)
"""
_WALK_SELECT = """
SELECT s.name AS source, t.name AS target, w.relation, min(w.depth) AS depth,
       s.ci_type AS source_type, t.ci_type AS target_type
  FROM walk w
  JOIN ci s ON s.tenant_id = $1 AND s.id = w.source_id
  JOIN ci t ON t.tenant_id = $1 AND t.id = w.target_id
 GROUP BY s.name, t.name, w.relation, s.ci_type, t.ci_type
 ORDER BY depth, source, target
 LIMIT $4
"""


class CatalogTools:
    def __init__(self, res: WorkerResources) -> None:
        self.res = res

    @tool_activity(ToolName.CI_LOOKUP)
    async def ci_lookup(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        params = params_of(CiSearchParams, call)
        async with tenant_session(self.res.pool, call.tenant_id, statement_timeout_ms=5000) as conn:
            rows = await conn.fetch(
                "SELECT id, name, ci_type, environment, status FROM ci"
                " WHERE tenant_id = $1"
                " AND ($2::text IS NULL OR name ILIKE '%' || $2 || '%')"
                " AND ($3::text IS NULL OR ci_type = $3)"
                " AND ($4::text IS NULL OR environment = $4)"
                " ORDER BY name LIMIT $5",
                call.tenant_id,
                params.name,
                params.ci_type,
                params.environment,
                min(params.limit, call.row_cap),
            )
        cis = [CiRecord(**dict(r)) for r in rows]
        return ToolOutput(
            tool=ToolName.CI_LOOKUP, step_id=call.step_id, cis=cis, row_count=len(cis)
        )

    @tool_activity(ToolName.TOPOLOGY_TRAVERSE)
    async def topology_traverse(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        params = params_of(GraphTraversalParams, call)
        focus, direction, depth = params.ci, params.direction, params.depth
        timeout_ms = int(self.res.policy(ToolName.TOPOLOGY_TRAVERSE).start_to_close_s * 1000)
        async with tenant_session(
            self.res.pool, call.tenant_id, statement_timeout_ms=timeout_ms
        ) as conn:
            found = await ci_ids_by_name(conn, call.tenant_id, [focus])
            ci_id, canonical = found[focus.lower()]
            rows = []
            walks = {"upstream": [_WALK_UP], "downstream": [_WALK_DOWN]}.get(
                direction, [_WALK_UP, _WALK_DOWN]
            )
            for walk in walks:
                rows += await conn.fetch(
                    walk + _WALK_SELECT, call.tenant_id, ci_id, depth, call.row_cap
                )
                hb.progress({"edges": len(rows)})
            focus_row = await conn.fetch(
                "SELECT id, name, ci_type, environment, status FROM ci"
                " WHERE tenant_id = $1 AND id = $2",
                call.tenant_id,
                ci_id,
            )
            others = (
                await conn.fetch(
                    "SELECT name, ci_type FROM ci WHERE tenant_id = $1 AND id <> $2"
                    " ORDER BY name LIMIT $3",
                    call.tenant_id,
                    ci_id,
                    call.row_cap,
                )
                if params.all_if_unknown and not rows
                else []
            )
        if others:
            # No edge known: an unknown topology, not proof that nothing is involved.
            return ToolOutput(
                tool=ToolName.TOPOLOGY_TRAVERSE,
                step_id=call.step_id,
                cis=[CiRecord(**dict(focus_row[0]))]
                + [CiRecord(id=r["name"], name=r["name"], ci_type=r["ci_type"]) for r in others],
                row_count=0,
                note=f"no dependencies of {canonical} are known: every CI of the tenant "
                f"({len(others)}) is a candidate",
            )
        edges = [
            EdgeRecord(
                source=r["source"], target=r["target"], relation=r["relation"], depth=r["depth"]
            )
            for r in rows
        ]
        types = {r["source"]: r["source_type"] for r in rows} | {
            r["target"]: r["target_type"] for r in rows
        }
        cis = [CiRecord(**dict(focus_row[0]))] + [
            CiRecord(id=name, name=name, ci_type=ci_type)
            for name, ci_type in sorted(types.items())
            if name != canonical
        ]
        return ToolOutput(
            tool=ToolName.TOPOLOGY_TRAVERSE,
            step_id=call.step_id,
            cis=cis,
            edges=edges,
            row_count=len(edges),
            note=f"{direction} of {canonical}, depth {depth}",
        )

    @tool_activity(ToolName.TOPOLOGY_SNAPSHOT_FALLBACK)
    async def topology_snapshot_fallback(self, call: ToolCall, hb: Heartbeater) -> ToolOutput:
        focus, direction, depth = _topology_params(call)
        async with tenant_session(self.res.pool, call.tenant_id, statement_timeout_ms=5000) as conn:
            # The snapshot may be stale, but the CI must be this tenant's (UNKNOWN_CI if not).
            focus = (await ci_ids_by_name(conn, call.tenant_id, [focus]))[focus.lower()][1]
            rows = await conn.fetch(
                "SELECT taken_at, edges FROM topology_snapshot WHERE tenant_id = $1"
                " AND taken_at <= $2 ORDER BY taken_at DESC LIMIT 1",
                call.tenant_id,
                call.reference_time,
            )
        if not rows:
            raise ToolExecutionError(f"no topology snapshot for tenant {call.tenant_id}")
        snapshot = [EdgeRecord(**e) for e in rows[0]["edges"]]
        edges = walk_edges(snapshot, focus, direction, depth)
        names = sorted({e.source for e in edges} | {e.target for e in edges} | {focus})
        return ToolOutput(
            tool=ToolName.TOPOLOGY_SNAPSHOT_FALLBACK,
            step_id=call.step_id,
            cis=[CiRecord(id=n, name=n, ci_type="unknown") for n in names],
            edges=edges,
            row_count=len(edges),
            note=f"snapshot taken {rows[0]['taken_at'].isoformat()} (may be stale)",
        )


def _topology_params(call: ToolCall) -> tuple[str, str, int]:
    params = params_of(GraphTraversalParams, call)
    return params.ci, params.direction, params.depth


def walk_edges(edges: list[EdgeRecord], focus: str, direction: str, depth: int) -> list[EdgeRecord]:
    """Breadth-first walk of a snapshot, the same semantics as the recursive CTE."""
    result: dict[tuple[str, str, str], EdgeRecord] = {}
    for upstream in [True, False] if direction == "both" else [direction == "upstream"]:
        frontier = deque([(focus.lower(), 0)])
        seen = {focus.lower()}
        while frontier:
            node, level = frontier.popleft()
            if level >= depth:
                continue
            for edge in edges:
                near, far = (edge.source, edge.target) if upstream else (edge.target, edge.source)
                if near.lower() != node:
                    continue
                key = (edge.source, edge.target, edge.relation)
                result.setdefault(key, edge.model_copy(update={"depth": level + 1}))
                if far.lower() not in seen:
                    seen.add(far.lower())
                    frontier.append((far.lower(), level + 1))
    return sorted(result.values(), key=lambda e: (e.depth, e.source, e.target))
