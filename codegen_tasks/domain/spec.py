"""What one code node must become: its spec, derived purely from the graph."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from codegen_tasks.domain.graph import EdgeType, Graph, Node, NodeType

# Domain actions by blueprint (or config.type); each becomes `<service>.<action>`.
BLUEPRINT_ACTIONS: dict[str, tuple[str, ...]] = {
    "crud": ("create", "findAll", "findOne", "update", "remove"),
    "auth": ("register", "login", "verify"),
    "payment": ("charge", "refund"),
    "notification": ("send",),
    "gateway": (),
}
DEFAULT_ACTIONS = BLUEPRINT_ACTIONS["crud"]
HEALTH_ACTION = "health"

# Where a bundle keeps its SQL migrations (applied in file-name order) and which database
# kinds are SQL. Generators write them; the runtime check applies them to a throwaway database.
MIGRATIONS_DIR = "migrations"
SQL_DATABASE_TYPES = frozenset({"postgresql", "mysql"})

# A producer's actions that answer with the record they wrote emit events through the LOGIC
# nodes it points at, to each forward target: `<target>.<producer><Past action>`.
QUIET_ACTIONS = frozenset({"findAll", "findOne", "remove", "login", "verify", HEALTH_ACTION})
_PAST = {
    "create": "created",
    "update": "updated",
    "charge": "charged",
    "refund": "refunded",
    "register": "registered",
    "send": "sent",
}


class SpecModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class DependencySpec(SpecModel):
    """One outgoing edge of the service, described for the prompt and the scaffold."""

    node_id: str
    name: str
    kind: str  # service | gateway | database | logic
    edge: str  # http | database
    description: str = ""
    actions: list[str] = Field(default_factory=list)
    fields: list[dict[str, Any]] = Field(default_factory=list)
    database_type: str | None = None
    orm: str | None = None
    expression: str | None = None
    subtype: str | None = None
    forwards_to: list[str] = Field(default_factory=list)
    # a code node's stored entity: the fields of its first DATABASE dependency
    entity_fields: list[dict[str, Any]] = Field(default_factory=list)


class ServiceSpec(SpecModel):
    """Everything generation needs to know about one SERVICE or GATEWAY node."""

    project_name: str
    node_id: str
    name: str
    kind: str  # service | gateway
    blueprint: str
    description: str
    config: dict[str, Any] = Field(default_factory=dict)
    actions: list[str]
    dependencies: list[DependencySpec]
    dependants: list[str]
    events: list[str] = Field(default_factory=list)  # forwarded event patterns it handles

    def patterns(self) -> list[str]:
        """The message patterns this service must handle, the health one included."""
        return [f"{self.name}.{a}" for a in [*self.actions, HEALTH_ACTION]]


def blueprint_of(node: Node) -> str:
    config_type = node.data.config.get("type")
    for candidate in (node.data.blueprint_id, config_type):
        if isinstance(candidate, str) and candidate.lower() in BLUEPRINT_ACTIONS:
            return candidate.lower()
    return "gateway" if node.type is NodeType.GATEWAY else "crud"


def actions_of(node: Node) -> list[str]:
    configured = node.data.config.get("actions")
    if isinstance(configured, list) and all(isinstance(a, str) for a in configured):
        return [str(a) for a in configured]
    return list(BLUEPRINT_ACTIONS.get(blueprint_of(node), DEFAULT_ACTIONS))


def _description(node: Node) -> str:
    value = node.data.config.get("description", "")
    return value if isinstance(value, str) else ""


def _fields(node: Node) -> list[dict[str, Any]]:
    fields = node.data.config.get("fields")
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def _entity_fields(graph: Graph, node: Node) -> list[dict[str, Any]]:
    if not node.type.gets_code:
        return []
    stores = [t for _, t in graph.outgoing(node.id) if t.type is NodeType.DATABASE]
    return _fields(stores[0]) if stores else []


def _dependency(graph: Graph, edge_type: EdgeType, target: Node) -> DependencySpec:
    config = target.data.config
    return DependencySpec(
        node_id=target.id,
        name=target.name,
        kind=target.type.name.lower(),
        edge=edge_type.name.lower(),
        description=_description(target),
        actions=actions_of(target) if target.type.gets_code else [],
        fields=_fields(target),
        database_type=_str_or_none(config.get("databaseType")),
        orm=_str_or_none(config.get("orm")),
        expression=_str_or_none(config.get("expression")),
        subtype=_str_or_none(config.get("subtype")),
        forwards_to=_forward_targets(graph, target),
        entity_fields=_entity_fields(graph, target),
    )


def _forward_targets(graph: Graph, node: Node) -> list[str]:
    if node.type is not NodeType.LOGIC:
        return []
    names = [n.name for _, n in graph.outgoing(node.id) if n.type is NodeType.SERVICE]
    return list(dict.fromkeys(names))


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", text) if w]


def event_name(producer: str, action: str) -> str:
    """`orders` + `create` → `ordersCreated` (the part after the target's name)."""
    words = _words(producer) + _words(_PAST.get(action, action))
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


def emitting_actions(actions: list[str]) -> list[str]:
    return [a for a in dict.fromkeys(actions) if a not in QUIET_ACTIONS]


def incoming_events(graph: Graph, node: Node) -> list[str]:
    """The forwarded event patterns `node` receives from producers through LOGIC nodes
    (SERVICE nodes only: a gateway is an HTTP entry point, not an event consumer)."""
    if node.type is not NodeType.SERVICE:
        return []
    patterns: list[str] = []
    for _, logic in graph.incoming(node.id):
        if logic.type is not NodeType.LOGIC:
            continue
        for _, producer in graph.incoming(logic.id):
            if producer.type.gets_code and producer.type is not NodeType.GATEWAY:
                actions = emitting_actions(actions_of(producer))
                patterns += [f"{node.name}.{event_name(producer.name, a)}" for a in actions]
    return sorted(set(patterns))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def build_service_spec(graph: Graph, node_id: str, project_name: str) -> ServiceSpec:
    """The spec of a SERVICE or GATEWAY node; ValueError for any other node."""
    node = graph.node(node_id)
    if not node.type.gets_code:
        raise ValueError(f"node {node_id!r} is a {node.type.name}, which gets no code")
    return ServiceSpec(
        project_name=project_name,
        node_id=node.id,
        name=node.name,
        kind=node.type.name.lower(),
        blueprint=blueprint_of(node),
        description=_description(node),
        config=node.data.config,
        actions=[] if node.type is NodeType.GATEWAY else actions_of(node),
        dependencies=[_dependency(graph, e.type, t) for e, t in graph.outgoing(node.id)],
        dependants=sorted({s.name for _, s in graph.incoming(node.id)}),
        events=incoming_events(graph, node),
    )


def forwarded_events(spec: ServiceSpec) -> list[tuple[str, DependencySpec, str, str]]:
    """(action, logic dependency, target, event pattern) for every event this service emits."""
    if spec.kind == "gateway":
        return []
    found: list[tuple[str, DependencySpec, str, str]] = []
    logic = {d.node_id: d for d in spec.dependencies if d.kind == "logic"}  # repeated edges once
    for dep in logic.values():
        for action in emitting_actions(spec.actions):
            for target in dep.forwards_to:
                found.append((action, dep, target, f"{target}.{event_name(spec.name, action)}"))
    return found


def called_targets(spec: ServiceSpec) -> list[DependencySpec]:
    """The services this one calls over RPC: HTTP edges to code nodes, and through logic nodes."""
    return [d for d in spec.dependencies if d.edge == "http" and d.kind in ("service", "gateway")]
