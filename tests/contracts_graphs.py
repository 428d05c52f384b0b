"""Graph-source contract: the same test bodies run against the in-memory source and the
Graph Service over HTTP.

A test module defines a `graph_case` fixture returning a GraphCase and subclasses
GraphSourceContract.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.errors import NotFoundError
from codegen_tasks.ports.graphs import GraphSource
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop


@dataclass
class GraphCase:
    source: GraphSource
    graphs: dict[str, Any]  # what the source serves, by project id (the test seeds it)


def _renamed(project_id: str) -> dict[str, Any]:
    graph = copy.deepcopy(shop())
    graph["project"]["id"] = project_id
    return graph


class GraphSourceContract:
    def test_a_known_project_is_its_graph(self, graph_case: GraphCase) -> None:
        graph_case.graphs[SHOP_PROJECT_ID] = shop()
        project = parse_graph(graph_case.source.fetch(SHOP_PROJECT_ID))
        assert project.project.id == SHOP_PROJECT_ID
        assert len(project.graph.code_nodes()) == SHOP_CODE_NODES

    def test_an_unknown_project_is_not_found(self, graph_case: GraphCase) -> None:
        graph_case.graphs[SHOP_PROJECT_ID] = shop()
        with pytest.raises(NotFoundError, match="no project 'nope'"):
            graph_case.source.fetch("nope")

    def test_ids_are_taken_literally(self, graph_case: GraphCase) -> None:
        """An id with a slash, a space or a query character names that project, no other."""
        odd = "team/shop ?x"
        graph_case.graphs[odd] = _renamed(odd)
        assert graph_case.source.fetch(odd)["project"]["id"] == odd
        with pytest.raises(NotFoundError):
            graph_case.source.fetch("team")

    def test_a_fetch_is_a_copy(self, graph_case: GraphCase) -> None:
        graph_case.graphs[SHOP_PROJECT_ID] = shop()
        first = graph_case.source.fetch(SHOP_PROJECT_ID)
        first["project"]["id"] = "changed"
        assert graph_case.source.fetch(SHOP_PROJECT_ID)["project"]["id"] == SHOP_PROJECT_ID

    def test_a_changed_graph_is_served_changed(self, graph_case: GraphCase) -> None:
        graph_case.graphs[SHOP_PROJECT_ID] = shop()
        graph_case.source.fetch(SHOP_PROJECT_ID)
        changed = shop()
        changed["project"]["name"] = "Shop, renamed"
        graph_case.graphs[SHOP_PROJECT_ID] = changed
        assert graph_case.source.fetch(SHOP_PROJECT_ID)["project"]["name"] == "Shop, renamed"
