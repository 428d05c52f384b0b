"""The project graph (Graph Service format): wire models and validation."""

from __future__ import annotations

import json
import re
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from codegen_tasks.domain.safety import id_problem
from codegen_tasks.errors import GraphError, NotFoundError

SERVICE_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_SERVICE_NAME = 63
MAX_CONFIG_BYTES = 64 * 1024
MAX_CONFIG_DEPTH = 8
MAX_PROJECT_NAME = 200


class NodeType(IntEnum):
    SERVICE = 1
    DATABASE = 2
    GATEWAY = 3
    LOGIC = 4

    @property
    def gets_code(self) -> bool:
        return self in (NodeType.SERVICE, NodeType.GATEWAY)


class EdgeType(IntEnum):
    HTTP = 2
    DATABASE = 3


def _enum_value(enum: type[IntEnum], value: Any) -> Any:
    """Accept the number or the name, any case."""
    if isinstance(value, str) and not value.strip().isdigit():
        try:
            return enum[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown {enum.__name__} {value!r}") from None
    if isinstance(value, str):
        value = int(value)
    if isinstance(value, int) and value not in {m.value for m in enum}:
        raise ValueError(f"unknown {enum.__name__} {value!r}")
    return value


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class Position(WireModel):
    x: float = 0
    y: float = 0


class NodeData(WireModel):
    service_name: str
    blueprint_id: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class Node(WireModel):
    id: str
    type: NodeType
    data: NodeData
    position: Position = Field(default_factory=Position)

    @field_validator("type", mode="before")
    @classmethod
    def _node_type(cls, value: Any) -> Any:
        return _enum_value(NodeType, value)

    @property
    def name(self) -> str:
        return self.data.service_name


class Edge(WireModel):
    id: str
    source: str
    target: str
    type: EdgeType = EdgeType.HTTP

    @field_validator("type", mode="before")
    @classmethod
    def _edge_type(cls, value: Any) -> Any:
        return _enum_value(EdgeType, value)


class Graph(WireModel):
    nodes: list[Node]
    edges: list[Edge] = Field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise NotFoundError(f"node {node_id!r} is not in the graph", node_id=node_id)

    def outgoing(self, node_id: str) -> list[tuple[Edge, Node]]:
        """A node's dependencies: its outgoing edges with their targets."""
        by_id = {n.id: n for n in self.nodes}
        return [(e, by_id[e.target]) for e in self.edges if e.source == node_id]

    def incoming(self, node_id: str) -> list[tuple[Edge, Node]]:
        """A node's dependants: incoming edges with their sources."""
        by_id = {n.id: n for n in self.nodes}
        return [(e, by_id[e.source]) for e in self.edges if e.target == node_id]

    def code_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.type.gets_code]

    def cycles(self) -> list[list[str]]:
        """Each cycle once, as the list of service names along it (allowed, but reported)."""
        return _find_cycles(self)


class Project(WireModel):
    id: str
    name: str


class ProjectGraph(WireModel):
    project: Project
    graph: Graph


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
    from codegen_tasks.checks.expressions import expression_problems  # parsing needs the contracts

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


def _find_cycles(graph: Graph) -> list[list[str]]:
    adjacency: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for edge in graph.edges:
        if edge.source in adjacency and edge.target in adjacency:
            adjacency[edge.source].append(edge.target)
    names = {n.id: n.name for n in graph.nodes}
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node_id: str) -> None:
        state[node_id] = 1
        stack.append(node_id)
        for nxt in adjacency[node_id]:
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append([names[c] for c in cycle])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node_id] = 2

    for node_id in adjacency:
        if node_id not in state:
            visit(node_id)
    return cycles
