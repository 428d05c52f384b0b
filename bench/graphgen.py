"""A synthetic project graph: one gateway over layers of services with HTTP edges, a few
databases behind the services and logic nodes forwarding between layers. Deterministic."""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any

BLUEPRINTS = ("crud", "crud", "crud", "auth", "payment", "notification")
DOMAINS = (
    "orders", "users", "catalog", "billing", "stock", "search", "reviews", "carts",
    "shipping", "invoices", "coupons", "media", "audit", "reports", "tenants", "pricing",
)  # fmt: skip
FIELDS = [
    {"name": "id", "type": "uuid", "primaryKey": True},
    {"name": "ownerId", "type": "uuid", "required": True},
    {"name": "amountCents", "type": "integer"},
    {"name": "status", "type": "string", "maxLength": 32},
]
Graph = dict[str, Any]


def _node(node_id: str, type_: int, name: str, blueprint: str, config: dict[str, Any]) -> Graph:
    return {
        "id": node_id,
        "type": type_,
        "data": {"serviceName": name, "blueprintId": blueprint, "config": config},
        "position": {"x": 0, "y": 0},
    }


def _edge(source: str, target: str, type_: int) -> Graph:
    return {"id": f"{source}-{target}", "source": source, "target": target, "type": type_}


def _layers(services: int) -> list[int]:
    """Sizes of the service layers under the gateway: about a quarter each."""
    base, extra = divmod(services, 4)
    return [base + (1 if i < extra else 0) for i in range(4) if base or i < extra]


def synthetic_project(
    code_nodes: int = 48,
    *,
    seed: int = 7,
    project_id: str = "bench-project",
    project_name: str = "bench-shop",
) -> Graph:
    """`code_nodes` SERVICE/GATEWAY nodes (one gateway), plus databases and logic nodes."""
    rng = random.Random(seed)
    nodes: list[Graph] = [
        _node("gw", 3, "api-gateway", "gateway", {"description": "Public HTTP entry point."})
    ]
    edges: list[Graph] = []
    layers: list[list[str]] = []
    count = 0
    for depth, size in enumerate(_layers(code_nodes - 1)):
        layer = []
        for _ in range(size):
            count += 1
            node_id, blueprint = f"s{count:03d}", rng.choice(BLUEPRINTS)
            name = f"{DOMAINS[count % len(DOMAINS)]}-{count}"
            description = f"Layer {depth} {blueprint} service for {name}; keeps its own records."
            config: dict[str, Any] = {"type": blueprint, "description": description}
            nodes.append(_node(node_id, 1, name, blueprint, config))
            layer.append(node_id)
        layers.append(layer)
    # The gateway calls all of the first layer but its last service, which nothing calls.
    edges += [_edge("gw", target, 2) for target in layers[0][:-1]]
    for upper, lower in itertools.pairwise(layers):
        for source in upper:
            for target in rng.sample(lower, k=min(len(lower), rng.randint(1, 3))):
                edges.append(_edge(source, target, 2))
        for target in lower:  # every lower service has at least one caller
            if not any(e["target"] == target for e in edges):
                edges.append(_edge(rng.choice(upper), target, 2))
    services = [n for layer in layers for n in layer]
    for i in range(max(1, len(services) // 6)):
        db = f"db{i:02d}"
        config = {"databaseType": "postgresql", "orm": "drizzle", "fields": FIELDS}
        nodes.append(_node(db, 2, f"store-{i}-db", "postgres", config))
        for source in rng.sample(services, k=min(len(services), 2)):
            edges.append(_edge(source, db, 3))
    for i, (upper, lower) in enumerate(itertools.pairwise(layers)):
        logic = f"lg{i:02d}"
        config = {"subtype": "filter", "expression": "data.status === 'active'"}
        nodes.append(_node(logic, 4, f"active-filter-{i}", "logic", config))
        edges.append(_edge(rng.choice(upper), logic, 2))
        edges.append(_edge(logic, rng.choice(lower), 2))
    return {
        "project": {"id": project_id, "name": project_name},
        "graph": {"nodes": nodes, "edges": _unique(edges)},
    }


def _unique(edges: list[Graph]) -> list[Graph]:
    seen: dict[str, Graph] = {}
    for edge in edges:
        seen.setdefault(edge["id"], edge)
    return list(seen.values())


def uncalled_service(graph: Graph) -> str:
    """A SERVICE node nothing depends on: changing it changes no other node's prompt."""
    targets = {e["target"] for e in graph["graph"]["edges"]}
    for node in graph["graph"]["nodes"]:
        if node["type"] == 1 and node["id"] not in targets:
            return str(node["id"])
    raise ValueError("every service has a caller")


def with_description(graph: Graph, node_id: str, description: str) -> Graph:
    """A copy of the graph with one node's description changed."""
    changed = copy.deepcopy(graph)
    for node in changed["graph"]["nodes"]:
        if node["id"] == node_id:
            node["data"]["config"]["description"] = description
    return changed
