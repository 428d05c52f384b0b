"""The project graph (Graph Service format): wire models and their limits (parsed and
checked by `codegen_tasks.checks.graph_input`)."""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from codegen_tasks.errors import NotFoundError

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
