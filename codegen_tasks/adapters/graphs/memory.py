"""Graphs held in memory (inline documents, tests): the GraphSource port without a service."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from codegen_tasks.errors import NotFoundError


class MemoryGraphSource:
    """Graph documents by project id; each fetch returns a copy."""

    def __init__(self, graphs: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.graphs: dict[str, dict[str, Any]] = dict(graphs or {})

    def fetch(self, project_id: str) -> dict[str, Any]:
        graph = self.graphs.get(project_id)
        if graph is None:
            raise NotFoundError(f"Graph Service has no project {project_id!r}", status=404)
        return copy.deepcopy(graph)
