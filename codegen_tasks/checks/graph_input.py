"""A project graph as it enters the pipeline: parsed and checked, every problem named (ids,
service names, config sizes, edges, LOGIC expressions). The graph's models are the domain's
(`codegen_tasks.domain.graph`); this module adds the rules that need the checks' parsers."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from codegen_tasks.checks.expressions import expression_problems
from codegen_tasks.domain.graph import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    MAX_PROJECT_NAME,
    MAX_SERVICE_NAME,
    SERVICE_NAME_RE,
    Graph,
    Node,
    NodeType,
    Project,
    ProjectGraph,
)
from codegen_tasks.domain.safety import id_problem
from codegen_tasks.errors import GraphError


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _located(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Name a pydantic error location by node/edge id where one can be found."""
    path = ".".join(str(p) for p in loc)
    if len(loc) >= 3 and loc[0] == "graph" and loc[1] in ("nodes", "edges"):
        try:
            item = raw["graph"][loc[1]][loc[2]]
            kind = "node" if loc[1] == "nodes" else "edge"
            return f"{kind} {item.get('id')!r} ({path})"
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
    return path


def parse_graph(raw: Any, *, max_nodes: int = 500) -> ProjectGraph:
    """Parse and check a project graph; raise GraphError naming every problem found."""
    if isinstance(raw, dict) and isinstance(raw.get("graph"), dict):
        nodes = raw["graph"].get("nodes")
        if isinstance(nodes, list) and len(nodes) > max_nodes:
            raise GraphError([f"graph has {len(nodes)} nodes; the limit is {max_nodes}"])
        edges = raw["graph"].get("edges")
        if isinstance(edges, list) and len(edges) > max_nodes * 8:
            raise GraphError([f"graph has {len(edges)} edges; the limit is {max_nodes * 8}"])
    try:
        parsed = ProjectGraph.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{_located(raw, e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise GraphError(problems[:50]) from exc
    problems = _project_problems(parsed.project) + check_graph(parsed.graph)
    if problems:
        raise GraphError(problems)
    return parsed


def _project_problems(project: Project) -> list[str]:
    problems: list[str] = []
    id_rule = id_problem(project.id)
    if id_rule is not None:
        problems.append(f"project id {project.id[:80]!r}: {id_rule}")
    name = project.name
    if not name.strip() or len(name) > MAX_PROJECT_NAME or not name.isprintable():
        problems.append(
            f"project name {name[:80]!r}: must be 1..{MAX_PROJECT_NAME} printable characters"
        )
    return problems


def check_graph(graph: Graph) -> list[str]:
    """Every structural problem in the graph, each naming the node or edge."""
    problems: list[str] = []
    seen: set[str] = set()
    names: dict[str, str] = {}
    for node in graph.nodes:
        problems += _node_problems(node, seen, names)
        if node.type is NodeType.LOGIC:
            problems += _logic_problems(node)
    if not graph.code_nodes():
        problems.append("graph: no SERVICE or GATEWAY node, so there is no code to generate")
    edge_ids: set[str] = set()
    for edge in graph.edges:
        if edge.id in edge_ids:
            problems.append(f"edge {edge.id!r}: duplicate edge id")
        edge_ids.add(edge.id)
        for end in ("source", "target"):
            ref = getattr(edge, end)
            if ref not in seen:
                problems.append(f"edge {edge.id!r}: {end} {ref!r} is not a node of the graph")
    return problems


def _logic_problems(node: Node) -> list[str]:
    """A LOGIC node's `expression` must be a pure expression over `data`."""
    expression = node.data.config.get("expression")
    if expression is None:
        return []
    if not isinstance(expression, str):
        return [f"node {node.id!r}: expression must be a string"]
    return [f"node {node.id!r}: expression {p}" for p in expression_problems(expression)]


def _node_problems(node: Node, seen: set[str], names: dict[str, str]) -> list[str]:
    problems: list[str] = []
    label = f"node {node.id!r}"
    id_rule = id_problem(node.id)
    if id_rule is not None:
        label = f"node {node.id[:80]!r}"
        problems.append(f"{label}: id {id_rule}")
    if node.id in seen:
        problems.append(f"{label}: duplicate node id")
    seen.add(node.id)
    name = node.data.service_name
    if not name.strip():
        problems.append(f"{label}: empty serviceName")
    elif len(name) > MAX_SERVICE_NAME or not SERVICE_NAME_RE.match(name):
        problems.append(
            f"{label}: unsafe serviceName {name[:80]!r} (lowercase ASCII letters, digits and"
            f" single dashes, starting with a letter, at most {MAX_SERVICE_NAME} characters)"
        )
    elif node.type.gets_code and name in names:
        problems.append(f"{label}: serviceName {name!r} is also used by node {names[name]!r}")
    else:
        names.setdefault(name, node.id)
    dumped = json.dumps(node.data.config, default=str)
    config_size = len(dumped)
    if "\\u0000" in dumped:
        problems.append(f"{label}: config contains a NUL character")
    elif config_size > MAX_CONFIG_BYTES:
        problems.append(f"{label}: config is {config_size} bytes; the limit is {MAX_CONFIG_BYTES}")
    elif _depth(node.data.config) > MAX_CONFIG_DEPTH:
        problems.append(f"{label}: config nests deeper than {MAX_CONFIG_DEPTH} levels")
    return problems
