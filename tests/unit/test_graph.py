"""Graph parsing: what is accepted, and clear located errors for what is not."""

from __future__ import annotations

from typing import Any

import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.graph import EdgeType, NodeType
from codegen_tasks.domain.spec import build_service_spec, called_targets
from codegen_tasks.errors import GraphError
from tests.examples import SHOP_CODE_NODES, node_id, shop


def problems_of(raw: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(GraphError) as info:
        parse_graph(raw, **kwargs)
    return info.value.problems


def test_shop_example_parses_with_its_code_nodes() -> None:
    project = parse_graph(shop())
    assert project.project.name == "shop"
    assert len(project.graph.code_nodes()) == SHOP_CODE_NODES
    assert project.graph.cycles() == []


def test_types_accept_numbers_and_names_in_any_case() -> None:
    raw = shop()
    raw["graph"]["nodes"][0]["type"] = "gateway"
    raw["graph"]["nodes"][1]["type"] = "Service"
    raw["graph"]["edges"][0]["type"] = "http"
    raw["graph"]["edges"][5]["type"] = "DATABASE"
    graph = parse_graph(raw).graph
    assert graph.nodes[0].type is NodeType.GATEWAY
    assert graph.nodes[1].type is NodeType.SERVICE
    assert graph.edges[0].type is EdgeType.HTTP
    assert graph.edges[5].type is EdgeType.DATABASE


def test_duplicate_node_ids_are_named() -> None:
    raw = shop()
    raw["graph"]["nodes"][2]["id"] = raw["graph"]["nodes"][1]["id"]
    found = problems_of(raw)
    assert any("duplicate node id" in p and raw["graph"]["nodes"][1]["id"] in p for p in found)


def test_edges_to_unknown_nodes_are_named() -> None:
    raw = shop()
    raw["graph"]["edges"][0]["target"] = "ghost"
    found = problems_of(raw)
    assert any("target 'ghost' is not a node" in p for p in found)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "../etc",
        "orders; rm -rf /",
        "Orders",
        "\u043erders",
        "a" * 64,
        "x--y",
        "-x",
        "a/b",
    ],
)
def test_unsafe_service_names_are_rejected(name: str) -> None:
    raw = shop()
    raw["graph"]["nodes"][3]["data"]["serviceName"] = name
    found = problems_of(raw)
    assert any(raw["graph"]["nodes"][3]["id"] in p and "serviceName" in p for p in found)


def test_unknown_types_name_the_node() -> None:
    raw = shop()
    raw["graph"]["nodes"][4]["type"] = "QUEUE"
    found = problems_of(raw)
    assert any(raw["graph"]["nodes"][4]["id"] in p and "unknown NodeType" in p for p in found)
    raw = shop()
    raw["graph"]["nodes"][4]["type"] = 9
    assert problems_of(raw)


def test_oversized_graphs_are_refused_before_parsing() -> None:
    raw = shop()
    node = raw["graph"]["nodes"][1]
    raw["graph"]["nodes"] = [
        {**node, "id": f"n{i}", "data": {**node["data"], "serviceName": f"s{i}"}}
        for i in range(10_000)
    ]
    assert "10000 nodes" in problems_of(raw, max_nodes=500)[0]


def test_huge_and_deep_configs_are_refused() -> None:
    raw = shop()
    raw["graph"]["nodes"][1]["data"]["config"]["description"] = "x" * 200_000
    assert any("bytes" in p for p in problems_of(raw))
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(50):
        cursor["a"] = {}
        cursor = cursor["a"]
    raw = shop()
    raw["graph"]["nodes"][1]["data"]["config"] = deep
    assert any("nests deeper" in p for p in problems_of(raw))


def test_two_code_nodes_cannot_share_a_service_name() -> None:
    raw = shop()
    raw["graph"]["nodes"][2]["data"]["serviceName"] = "users"
    assert any("also used by node" in p for p in problems_of(raw))


def test_cycles_are_allowed_and_reported() -> None:
    raw = shop()
    orders, gateway = node_id(raw, "orders"), node_id(raw, "api-gateway")
    raw["graph"]["edges"].append({"id": "back", "source": orders, "target": gateway, "type": 2})
    assert parse_graph(raw).graph.cycles() == [["api-gateway", "orders"]]


def test_service_spec_describes_dependencies_and_dependants() -> None:
    raw = shop()
    project = parse_graph(raw)
    spec = build_service_spec(project.graph, node_id(raw, "orders"), "shop")
    kinds = {d.name: d.kind for d in spec.dependencies}
    assert kinds == {
        "catalog": "service",
        "payments": "service",
        "orders-db": "database",
        "paid-filter": "logic",
    }
    db = next(d for d in spec.dependencies if d.kind == "database")
    assert [f["name"] for f in db.fields] == ["id", "userId", "totalCents", "status"]
    logic = next(d for d in spec.dependencies if d.kind == "logic")
    assert logic.expression == "data.status === 'paid'"
    assert logic.forwards_to == ["notifications"]
    assert spec.dependants == ["api-gateway"]
    assert [d.name for d in called_targets(spec)] == ["catalog", "payments"]
    assert "orders.create" in spec.patterns() and "orders.health" in spec.patterns()


def test_database_and_logic_nodes_get_no_code() -> None:
    raw = shop()
    project = parse_graph(raw)
    with pytest.raises(ValueError, match="gets no code"):
        build_service_spec(project.graph, node_id(raw, "orders-db"), "shop")
