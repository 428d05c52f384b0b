"""Which graph is a project's latest, which nodes a command means, and how runs nobody will
finish are closed (cancelled or abandoned) without leaving half-checked successes behind."""

from __future__ import annotations

from typing import Any

import pytest

from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.results import RunStatus, ServiceStatus
from codegen_tasks.errors import GraphError, NotFoundError
from codegen_tasks.pipeline import latest
from codegen_tasks.pipeline.closing import ABANDONED, close_abandoned
from codegen_tasks.pipeline.generate import CLOSED, generate_node
from codegen_tasks.pipeline.project import (
    CANCELLED,
    cancel_run,
    close_run,
    run_result,
    start_run,
)
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, node_id, shop
from tests.unit.conftest import MakeDeps


def without(graph: dict[str, Any], name: str) -> dict[str, Any]:
    gone = node_id(graph, name)
    graph["graph"]["nodes"] = [n for n in graph["graph"]["nodes"] if n["id"] != gone]
    graph["graph"]["edges"] = [
        e for e in graph["graph"]["edges"] if gone not in (e["source"], e["target"])
    ]
    return graph


def payload(graph: dict[str, Any] | None = None, run_id: str | None = None) -> Any:
    return GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=graph, run_id=run_id)


def test_the_latest_graph_is_the_latest_runs_even_when_seen_before(make_deps: MakeDeps) -> None:
    deps = make_deps()
    run_project(deps, payload(shop()))
    run_project(deps, payload(without(shop(), "notifications")))
    assert len(latest.latest_project(deps, SHOP_PROJECT_ID).graph.code_nodes()) == 5
    run_project(deps, payload(shop()))  # the first graph again: same content-addressed snapshot
    assert len(latest.latest_project(deps, SHOP_PROJECT_ID).graph.code_nodes()) == 6
    again = run_project(deps, payload())  # a payload without a graph uses the latest one
    assert len(again.services) == SHOP_CODE_NODES


def test_nodes_are_chosen_by_id_or_service_name_and_unknown_ones_are_named() -> None:
    graph = parse_graph(shop()).graph
    orders = node_id(shop(), "orders")
    assert [n.id for n in latest.select_nodes(graph, "orders")] == [orders]
    assert [n.id for n in latest.select_nodes(graph, orders)] == [orders]
    assert len(latest.select_nodes(graph)) == SHOP_CODE_NODES
    with pytest.raises(NotFoundError, match=r"'nope'.*orders"):
        latest.select_nodes(graph, "nope")
    with pytest.raises(NotFoundError, match="'orders-db'"):  # a DATABASE node gets no code
        latest.select_nodes(graph, "orders-db")


def test_a_graph_without_service_or_gateway_nodes_is_refused() -> None:
    raw = shop()
    raw["graph"]["nodes"] = [n for n in raw["graph"]["nodes"] if n["type"] in (2, "DATABASE")]
    raw["graph"]["edges"] = []
    with pytest.raises(GraphError) as caught:
        parse_graph(raw)
    assert any("no SERVICE or GATEWAY node" in p for p in caught.value.problems)


def test_an_abandoned_run_is_closed_and_its_unchecked_nodes_are_done_again(
    make_deps: MakeDeps,
) -> None:
    deps = make_deps(CODEGEN_RUN_STALE_AFTER_S=60)
    plan = start_run(deps, payload(shop()), "dead")
    for job in plan.jobs:  # generated and stored, then the process died before validation
        generate_node(deps, job)
    assert close_abandoned(deps, SHOP_PROJECT_ID) == []  # still fresh: it may be alive
    assert close_abandoned(deps, SHOP_PROJECT_ID, stale_after_s=0) == ["dead"]
    dead = run_result(deps, "dead")
    assert dead.status is RunStatus.FAILED
    assert {s.status for s in dead.services} == {ServiceStatus.FAILED}
    assert all(s.error == ABANDONED.format(seconds=0) for s in dead.services)

    rerun = run_project(deps, payload(shop()))
    for service in rerun.services:  # never `skipped` to a bundle nobody validated
        assert service.status is ServiceStatus.SUCCEEDED, service.error
        assert service.validation is not None and service.validation.passed


def test_the_next_run_of_the_project_closes_a_stale_run(make_deps: MakeDeps) -> None:
    deps = make_deps(CODEGEN_RUN_STALE_AFTER_S=0)
    start_run(deps, payload(shop()), "dead")
    run_project(deps, payload(shop(), run_id="next"))
    assert run_result(deps, "dead").status is RunStatus.FAILED
    assert run_result(deps, "next").status is RunStatus.SUCCEEDED


def test_a_cancelled_run_stays_cancelled_and_starts_no_more_work(make_deps: MakeDeps) -> None:
    deps = make_deps()
    plan = start_run(deps, payload(shop()), "run-c")
    generate_node(deps, plan.jobs[0])
    assert cancel_run(deps, "run-c").status is RunStatus.CANCELLED
    assert cancel_run(deps, "run-c").status is RunStatus.CANCELLED  # once closed, it stays
    late = generate_node(deps, plan.jobs[1])  # a task already queued when Ctrl-C came
    assert late.status is ServiceStatus.FAILED and late.error == CLOSED
    closed = close_run(deps, "run-c")  # the chord callback does not reopen it
    assert closed.status is RunStatus.CANCELLED
    assert {s.error for s in closed.services} == {CANCELLED}
