"""Parsed graph snapshots, kept per process.

Snapshot ids are content-addressed (project id + graph hash), so an entry never goes stale;
the cache saves every task of a run re-reading and re-parsing the same graph.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.graph import ProjectGraph
from codegen_tasks.pipeline.context import Deps

MAX_ENTRIES = 16
_parsed: OrderedDict[tuple[str, int], ProjectGraph] = OrderedDict()
_lock = threading.Lock()


def snapshot_project(deps: Deps, snapshot_id: str) -> ProjectGraph:
    """The parsed graph of a stored snapshot. Raises NotFoundError or GraphError."""
    key = (snapshot_id, deps.settings.max_graph_nodes)
    with _lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    project = parse_graph(deps.history.snapshot(snapshot_id), max_nodes=key[1])
    with _lock:
        _parsed[key] = project
        while len(_parsed) > MAX_ENTRIES:
            _parsed.popitem(last=False)
    return project
