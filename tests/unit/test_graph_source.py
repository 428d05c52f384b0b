"""The in-memory graph source against the graph-source contract (HTTP: integration), and
where a run takes its graph from: the payload, the graph source, the stored graph."""

from __future__ import annotations

from typing import Any

import pytest

from codegen_tasks.adapters.graphs.memory import MemoryGraphSource
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.errors import NotFoundError, PayloadError
from codegen_tasks.pipeline.project import start_run
from tests.contracts_graphs import GraphCase, GraphSourceContract
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps
from tests.unit.test_run_lifecycle import without


class TestMemoryGraphSource(GraphSourceContract):
    @pytest.fixture
    def graph_case(self) -> GraphCase:
        source = MemoryGraphSource()
        return GraphCase(source, source.graphs)


def _payload(graph: dict[str, Any] | None = None) -> GenerateProjectPayload:
    return GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=graph)


def test_a_run_without_a_graph_takes_it_from_the_graph_source(make_deps: MakeDeps) -> None:
    deps = make_deps()
    deps.graphs = MemoryGraphSource({SHOP_PROJECT_ID: without(shop(), "notifications")})
    plan = start_run(deps, _payload(), "run-1")
    assert len(plan.jobs) == SHOP_CODE_NODES - 1
    assert len(run_project(deps, _payload()).services) == SHOP_CODE_NODES - 1


def test_a_payload_graph_wins_over_the_graph_source(make_deps: MakeDeps) -> None:
    deps = make_deps()
    deps.graphs = MemoryGraphSource()  # knows no project: consulting it would fail
    assert len(start_run(deps, _payload(shop()), "run-1").jobs) == SHOP_CODE_NODES


def test_an_unknown_project_of_the_graph_source_is_not_found(make_deps: MakeDeps) -> None:
    deps = make_deps()
    deps.graphs = MemoryGraphSource()
    with pytest.raises(NotFoundError, match="Graph Service has no project"):
        start_run(deps, _payload(), "run-1")


def test_without_a_graph_source_the_stored_graph_is_used(make_deps: MakeDeps) -> None:
    deps = make_deps()
    with pytest.raises(PayloadError, match="has no stored graph"):
        start_run(deps, _payload(), "run-1")
    run_project(deps, _payload(shop()))
    assert len(run_project(deps, _payload()).services) == SHOP_CODE_NODES
