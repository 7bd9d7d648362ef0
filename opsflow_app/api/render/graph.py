"""A graph block as an SVG drawing: callers above what they depend on, the path highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from opsflow.models import GraphBlock
from opsflow_app.api.render.svg import num, tag, text

LAYER_GAP, NODE_GAP, NODE_H, MARGIN = 84.0, 26.0, 30.0, 20.0
CHAR_W = 7.2
MAX_NODES = 60  # blocks carry bounded previews; this bounds the drawing too


def forward_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The edges minus the back edges of a depth-first walk: what is left has no cycle
    (a misrecorded topology may have one), so layering terminates and stays compact."""
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target in edges:
        if source in children and target in children:
            children[source].append(target)
    state: dict[str, int] = {}  # 1: on the walk's stack, 2: finished
    back: set[tuple[str, str]] = set()
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(children[root]))]
        while stack:
            node, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(children[child])))
    return [e for e in edges if e not in back and e[0] in children and e[1] in children]


def layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering: a node sits one layer below each node that depends on it."""
    dag = forward_edges(nodes, edges)
    layer = dict.fromkeys(nodes, 0)
    for _ in range(len(nodes)):
        moved = False
        for source, target in dag:
            if layer[target] < layer[source] + 1:
                layer[target] = layer[source] + 1
                moved = True
        if not moved:
            break
    return layer


def _order(rows: list[list[str]], edges: Sequence[tuple[str, str]]) -> None:
    """One barycentre pass: a node goes under the average position of its callers."""
    position = {n: i for i, n in enumerate(rows[0])} if rows else {}
    for row in rows[1:]:

        def centre(node: str) -> float:
            parents = [position[s] for s, t in edges if t == node and s in position]
            return sum(parents) / len(parents) if parents else float("inf")

        row.sort(key=centre)
        position.update({n: i for i, n in enumerate(row)})


def render_graph(block: GraphBlock) -> str:
    nodes = list(dict.fromkeys([*block.highlight, *block.nodes]))[:MAX_NODES]
    shown = set(nodes)
    edges = [(s, t) for s, t in block.edges if s in shown and t in shown]
    layer = layers(nodes, edges)
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for node in nodes:
        rows[layer[node]].append(node)
    _order(rows, edges)
    width_of = {n: max(60.0, CHAR_W * len(n) + 20) for n in nodes}
    row_widths = [sum(width_of[n] for n in row) + NODE_GAP * (len(row) - 1) for row in rows]
    total_w = max(row_widths, default=200.0) + 2 * MARGIN
    total_h = len(rows) * NODE_H + (len(rows) - 1) * LAYER_GAP + 2 * MARGIN
    centre: dict[str, tuple[float, float]] = {}
    for index, row in enumerate(rows):
        x = (total_w - row_widths[index]) / 2
        y = MARGIN + index * (NODE_H + LAYER_GAP)
        for node in row:
            centre[node] = (x + width_of[node] / 2, y + NODE_H / 2)
            x += width_of[node] + NODE_GAP
    path = block.highlight
    on_path = {(path[i], path[i + 1]) for i in range(len(path) - 1)}
    on_path |= {(t, s) for s, t in on_path}
    parts = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker></defs>'
    ]
    for source, target in edges:
        (x1, y1), (x2, y2) = centre[source], centre[target]
        # From the bottom of the caller to the top of its dependency (or sideways in a row).
        y1 += NODE_H / 2 if y2 > y1 else -NODE_H / 2 if y2 < y1 else 0
        y2 -= NODE_H / 2 if y2 > y1 else -NODE_H / 2 if y2 < y1 else 0
        css = "edge on-path" if (source, target) in on_path else "edge"
        parts.append(tag("line", x1=x1, y1=y1, x2=x2, y2=y2, class_=css, marker_end="url(#arrow)"))
    for node in nodes:
        cx, cy = centre[node]
        w = width_of[node]
        css = "node on-path" if node in path else "node"
        parts.append(
            tag(
                "g",
                tag("rect", x=cx - w / 2, y=cy - NODE_H / 2, width=w, height=NODE_H, rx=6.0)
                + text(node, x=cx, y=cy + 4, text_anchor="middle"),
                class_=css,
            )
        )
    return tag(
        "svg",
        "".join(parts),
        xmlns="http://www.w3.org/2000/svg",
        class_="graph",
        viewBox=f"0 0 {num(total_w)} {num(total_h)}",
        width=total_w,
        role="img",
        aria_label=block.title or "dependency graph",
    )
