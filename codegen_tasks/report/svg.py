"""The project graph as inline SVG: nodes at their `position`, edges as arrows, code nodes
coloured by their status in the run. Pure."""

from __future__ import annotations

from html import escape

from codegen_tasks.domain.graph import Graph, Node, NodeType
from codegen_tasks.report.style import NO_CODE, status_colour

NODE_W, NODE_H, PAD = 150.0, 50.0, 30.0
GRID_X, GRID_Y = 220.0, 110.0
GAP_X = NODE_W + 50.0  # centre to centre, side by side
KIND = {NodeType.SERVICE: "service", NodeType.DATABASE: "database",
        NodeType.GATEWAY: "gateway", NodeType.LOGIC: "logic"}  # fmt: skip


def positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Top-left corners in SVG units; a grid when the graph carries no real positions."""
    raw = {n.id: (n.position.x, n.position.y) for n in graph.nodes}
    if len(set(raw.values())) < len(raw):  # missing or clashing positions
        cols = max(1, round(len(raw) ** 0.5))
        raw = {nid: ((i % cols) * GRID_X, (i // cols) * GRID_Y) for i, nid in enumerate(raw)}
    sx = _spread(list(raw.values()))
    raw = {nid: (x * sx, y) for nid, (x, y) in raw.items()}
    min_x = min((x for x, _ in raw.values()), default=0.0)
    min_y = min((y for _, y in raw.values()), default=0.0)
    return {nid: (x - min_x + PAD, y - min_y + PAD) for nid, (x, y) in raw.items()}


def _spread(points: list[tuple[float, float]]) -> float:
    """How much to stretch x so that boxes side by side leave room for an arrow."""
    gaps = [
        abs(a[0] - b[0])
        for i, a in enumerate(points)
        for b in points[i + 1 :]
        if abs(a[1] - b[1]) < NODE_H and a[0] != b[0]
    ]
    closest = min(gaps, default=GAP_X)
    return max(1.0, GAP_X / closest)


def _anchor(box: Point, toward: Point) -> Point:
    """Where the line from the box's centre toward a point leaves the box."""
    cx, cy = box[0] + NODE_W / 2, box[1] + NODE_H / 2
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(
        (NODE_W / 2) / abs(dx) if dx else float("inf"),
        (NODE_H / 2) / abs(dy) if dy else float("inf"),
    )
    return cx + dx * scale, cy + dy * scale


Point = tuple[float, float]
BENDS = (60.0, -60.0, 120.0, -120.0, 200.0, -200.0, 320.0, -320.0)


def bezier(start: Point, control: Point, end: Point, steps: int = 24) -> list[Point]:
    """Points along the quadratic curve (a straight line when control is the midpoint)."""
    points = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
        points.append(
            (a * start[0] + b * control[0] + c * end[0], a * start[1] + b * control[1] + c * end[1])
        )
    return points


def crosses(points: list[Point], boxes: list[Point], margin: float = 6.0) -> bool:
    """Whether any point falls in a box (top-left corners, with a margin)."""
    return any(
        bx - margin <= x <= bx + NODE_W + margin and by - margin <= y <= by + NODE_H + margin
        for x, y in points
        for bx, by in boxes
    )


def _control(start: Point, end: Point, others: list[Point]) -> Point:
    """The curve's control point: the midpoint (a straight arrow) unless that passes through
    another node, else bent sideways, further and further, until it clears them."""
    mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = max((dx * dx + dy * dy) ** 0.5, 1.0)
    normal = (-dy / length, dx / length)
    for bend in (0.0, *BENDS):
        control = (mid[0] + normal[0] * bend, mid[1] + normal[1] * bend)
        if not crosses(bezier(start, control, end), others):
            return control
    return mid


def _edge(src: Point, dst: Point, kind: str, others: list[Point]) -> str:
    centre_dst = (dst[0] + NODE_W / 2, dst[1] + NODE_H / 2)
    centre_src = (src[0] + NODE_W / 2, src[1] + NODE_H / 2)
    x1, y1 = _anchor(src, centre_dst)
    x2, y2 = _anchor(dst, centre_src)
    cx, cy = _control((x1, y1), (x2, y2), others)
    dash = ' stroke-dasharray="5 4"' if kind == "DATABASE" else ""
    return (
        f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" fill="none" '
        f'stroke="#57606a" stroke-width="1.6" marker-end="url(#arrow)"{dash}/>'
    )


def _node(node: Node, at: tuple[float, float], status: str | None) -> str:
    x, y = at
    fill = status_colour(status) if node.type.gets_code else NO_CODE
    radius = 24 if node.type is NodeType.DATABASE else 8
    label = escape(node.name[:22])
    sub = escape(f"{KIND[node.type]} · {status}" if status else KIND[node.type])
    return (
        f'<g class="node" data-node="{escape(node.id)}"><title>{escape(node.name)}</title>'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="{radius}" '
        f'fill="{fill}" stroke="#1f2328" stroke-width="1"/>'
        f'<text x="{x + NODE_W / 2:.1f}" y="{y + 21:.1f}" text-anchor="middle" fill="#fff" '
        f'font-size="14" font-weight="600">{label}</text>'
        f'<text x="{x + NODE_W / 2:.1f}" y="{y + 38:.1f}" text-anchor="middle" fill="#fff" '
        f'font-size="11">{sub}</text></g>'
    )


def graph_svg(graph: Graph, statuses: dict[str, str]) -> str:
    """The SVG element; `statuses` maps code node ids to their status in the run."""
    at = positions(graph)
    width = max((x for x, _ in at.values()), default=0.0) + NODE_W + PAD
    height = max((y for _, y in at.values()), default=0.0) + NODE_H + PAD
    edges = [
        _edge(
            at[e.source],
            at[e.target],
            e.type.name,
            [box for nid, box in at.items() if nid not in (e.source, e.target)],
        )
        for e in graph.edges
        if e.source in at and e.target in at
    ]
    nodes = [_node(n, at[n.id], statuses.get(n.id)) for n in graph.nodes]
    marker = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#57606a"/></marker></defs>'
    )
    return (
        f'<svg class="graph" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-label="project graph">{marker}'
        + "".join(edges)
        + "".join(nodes)
        + "</svg>"
    )
