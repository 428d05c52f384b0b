"""LOGIC nodes: pure expressions only, refused with the node id; events known to the contracts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codegen_tasks.checks.contracts import contract_levels
from codegen_tasks.checks.expressions import expression_problems
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import event_name
from codegen_tasks.errors import GraphError
from codegen_tasks.generation.scaffold import render_service
from tests.examples import SHOP_GRAPH
from tests.unit.test_scaffold import SPECS

PURE = [
    "data.status === 'paid'",
    "data.totalCents > 100 && data.status !== 'cancelled'",
    "'status' in data",
    "data?.items?.length >= 1 ? true : false",
    "data['odd-key'] === -1 || !data.active",
    "typeof data.note === 'string' && `${data.a}x` === 'bx'",
    "(data.a + data.b) * 2 % 3 === 0 ?? null",
]
HOSTILE = {
    "process.exit()": "uses calls",
    "data.status = 'paid'": "uses assignments",
    "data.count++": "uses `++`/`--`",
    "this.secret": "uses `this`",
    "new Date() > data.at": "uses `new`",
    "(() => 1)()": "uses calls",
    "constructor": "refers to 'constructor'",
    "globalThis.x === 1": "refers to 'globalThis'",
    "data.a, process": "uses the comma operator",
    "data /* */": "uses comments",
    "data.a | 1": "the operator '|'",
    "delete data.a": "the operator 'delete'",
    "void 0": "the operator 'void'",
    "1); process.exit(": "is not one JavaScript expression",
    "data.a === 1; data.b": "is not one JavaScript expression",
    "": "is empty",
    "data.x /": "is not one JavaScript expression",
}


@pytest.mark.parametrize("expression", PURE)
def test_pure_expressions_over_data_are_accepted(expression: str) -> None:
    assert expression_problems(expression) == []


@pytest.mark.parametrize(("expression", "words"), sorted(HOSTILE.items()))
def test_anything_else_is_refused(expression: str, words: str) -> None:
    problems = expression_problems(expression)
    assert len(problems) == 1 and words in problems[0], problems


def _shop_with(expression: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(SHOP_GRAPH.read_text(encoding="utf-8"))
    for node in raw["graph"]["nodes"]:
        if node["data"]["serviceName"] == "paid-filter":
            node["data"]["config"]["expression"] = expression
    return raw


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("process.exit()", "expression uses calls (`process.exit()` at column 1)"),
        ("data.status = 'paid'", "expression uses assignments"),
        (42, "expression must be a string"),
    ],
)
def test_a_hostile_expression_rejects_the_graph_with_the_node_id(
    expression: Any, words: str
) -> None:
    with pytest.raises(GraphError) as caught:
        parse_graph(_shop_with(expression))
    (problem,) = caught.value.problems
    assert problem.startswith("node '0b5c6a1e-1111-4a00-8000-000000000008': ") and words in problem


def test_event_names_come_from_the_producer_and_its_action() -> None:
    assert event_name("orders", "create") == "ordersCreated"
    assert event_name("api-gateway", "reserve-stock") == "apiGatewayReserveStock"
    assert SPECS["notifications"].events == [
        "notifications.ordersCreated",
        "notifications.ordersUpdated",
    ]


def _replaced(files: list[GeneratedFile], path: str, old: str, new: str) -> list[GeneratedFile]:
    return [
        GeneratedFile(path=f.path, content=f.content.replace(old, new)) if f.path == path else f
        for f in files
    ]


def test_a_target_without_the_event_handler_fails_the_contract_level() -> None:
    spec = SPECS["notifications"]
    path = "src/notifications/notifications.controller.ts"
    old = "@EventPattern('notifications.ordersCreated')"
    levels = contract_levels(spec, _replaced(render_service(spec), path, old, ""))
    assert levels.contract_passed is False
    (error,) = levels.errors
    assert "no @EventPattern('notifications.ordersCreated') handler" in error.message
    assert error.file == path and error.line > 0


def test_a_producer_that_never_emits_is_warned() -> None:
    spec = SPECS["orders"]
    old, new = "'notifications.ordersCreated'", "'notifications.somethingElse'"
    levels = contract_levels(spec, _replaced(render_service(spec), "src/logic/events.ts", old, new))
    messages = [w.message for w in levels.warnings]
    assert (
        "orders never emits 'notifications.ordersCreated', which its logic nodes forward after"
        " 'orders.create'"
    ) in messages
    assert any("emit('notifications.somethingElse')" in m for m in messages)


def test_only_services_receive_events_and_repeated_edges_emit_once() -> None:
    from codegen_tasks.domain.spec import build_service_spec, forwarded_events

    nodes = [
        {"id": "p", "type": 1, "data": {"serviceName": "orders", "blueprintId": "crud"}},
        {"id": "s", "type": 1, "data": {"serviceName": "mail", "blueprintId": "notification"}},
        {"id": "g", "type": 3, "data": {"serviceName": "edge"}},
        {"id": "l", "type": 4, "data": {"serviceName": "any", "config": {"subtype": "merge"}}},
    ]
    edges = [
        {"id": "p-l", "source": "p", "target": "l", "type": 2},
        {"id": "p-l2", "source": "p", "target": "l", "type": 2},
        {"id": "l-s", "source": "l", "target": "s", "type": 2},
        {"id": "l-g", "source": "l", "target": "g", "type": 2},
    ]
    graph = parse_graph(
        {"project": {"id": "x", "name": "x"}, "graph": {"nodes": nodes, "edges": edges}}
    )
    specs = {n: build_service_spec(graph.graph, n, "x") for n in ("p", "s", "g")}
    assert [p for *_, p in forwarded_events(specs["p"])] == [
        "mail.ordersCreated",
        "mail.ordersUpdated",
    ]
    assert specs["s"].events == ["mail.ordersCreated", "mail.ordersUpdated"]
    assert specs["g"].events == []
    for spec in specs.values():
        assert contract_levels(spec, render_service(spec)).contract_passed, spec.name
