"""A readable SVG of a causal graph, written by hand (no graphviz binaries, no matplotlib).

Layout: layers are the graph's topological generations (task at the top, each step of
causation one row down), nodes within a layer in issue order. Boxes are coloured by kind
(claims by verdict status); invalidated nodes are faded with a dashed red border. Edges are
coloured by kind, with a legend. Hovering a box shows its full text (`<title>`).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import networkx as nx

BOX_W, BOX_H = 190, 50
GAP_X, GAP_Y = 30, 60
MARGIN = 20
LEGEND_H = 60
MAX_LABEL = 28

NODE_FILL = {"task": "#dbeafe", "attempt": "#fef3c7", "join": "#e0e7ff", "answer": "#fae8ff"}
CLAIM_FILL = {"proved": "#bbf7d0", "refuted": "#fecaca", "unknown": "#e5e7eb", "invalid": "#fed7aa"}
EDGE_COLOUR = {
    "spawned": "#2563eb",
    "returned": "#d97706",
    "joined": "#16a34a",
    "depends_on": "#7c3aed",
    "answered": "#db2777",
}


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _labels(node: str, data: dict[str, Any]) -> tuple[str, str, str]:
    """(title line, detail line, hover text) for one node."""
    kind = data["kind"]
    if kind == "task":
        return "TASK", data.get("text", ""), data.get("text", "")
    if kind == "attempt":
        title = f"FORK {data['fork_id']} attempt {data['attempt']}"
        return title, data.get("query", ""), f"{node}: {data.get('query', '')}"
    if kind == "claim":
        status = data.get("status") or "no verdict"
        if data.get("role"):
            status += f", {data['role']}"
        return (
            f"CLAIM ({status})",
            data.get("claim", ""),
            f"{node} from {data.get('attempt')}: {data.get('text')}",
        )
    if kind == "join":
        return f"JOIN {data['fork_id']}", data.get("attempt", ""), f"{node}: joins {data.get('attempt')}"
    return "ANSWER", data.get("text", ""), data.get("text", "")


def _positions(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    order = nx.get_node_attributes(graph, "order")
    positions = {}
    for row, layer in enumerate(nx.topological_generations(graph)):
        for col, node in enumerate(sorted(layer, key=lambda n: order.get(n, 0))):
            positions[node] = (MARGIN + col * (BOX_W + GAP_X), MARGIN + LEGEND_H + row * (BOX_H + GAP_Y))
    return positions


def render(graph: nx.MultiDiGraph) -> str:
    """The SVG document (a string) for a causal graph."""
    pos = _positions(graph)
    width = max((x for x, _ in pos.values()), default=0) + BOX_W + MARGIN
    height = max((y for _, y in pos.values()), default=0) + BOX_H + MARGIN
    width = max(width, 5 * 150 + 2 * MARGIN)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        "<defs>",
    ]
    for kind, colour in EDGE_COLOUR.items():
        out.append(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    out.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    for i, (kind, colour) in enumerate(EDGE_COLOUR.items()):
        x = MARGIN + i * 150
        out.append(
            f'<line x1="{x}" y1="{MARGIN + 8}" x2="{x + 30}" y2="{MARGIN + 8}" stroke="{colour}" '
            f'stroke-width="2" marker-end="url(#arrow-{kind})"/>'
            f'<text x="{x + 36}" y="{MARGIN + 12}">{kind}</text>'
        )
    out.append(
        f'<text x="{MARGIN}" y="{MARGIN + 36}" fill="#6b7280">faded, dashed red border: invalidated; '
        "claims green proved, red refuted, grey unknown</text>"
    )
    for source, target, kind in graph.edges(keys=True):
        (x1, y1), (x2, y2) = pos[source], pos[target]
        sx, sy, tx, ty = x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2
        bend = (ty - sy) / 2
        colour = EDGE_COLOUR.get(kind, "#000000")
        dash = ' stroke-dasharray="5,3"' if kind == "depends_on" else ""
        out.append(
            f'<path d="M{sx},{sy} C{sx},{sy + bend} {tx},{ty - bend} {tx},{ty}" fill="none" '
            f'stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#arrow-{kind})">'
            f"<title>{escape(f'{source} {kind} {target}')}</title></path>"
        )
    for node, data in graph.nodes(data=True):
        x, y = pos[node]
        title, detail, hover = _labels(node, data)
        fill = (
            CLAIM_FILL.get(data.get("status"), "#f3f4f6")
            if data["kind"] == "claim"
            else NODE_FILL[data["kind"]]
        )
        valid = data.get("valid", True)
        border = 'stroke="#374151"' if valid else 'stroke="#dc2626" stroke-dasharray="4,3" opacity="0.55"'
        out.append(
            f'<g id="{escape(node)}"><title>{escape(hover)}</title>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" {border}/>'
            f'<text x="{x + 8}" y="{y + 19}" font-weight="bold">{escape(title)}'
            f"{'' if valid else ' (invalid)'}</text>"
            f'<text x="{x + 8}" y="{y + 37}">{escape(_short(detail))}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
