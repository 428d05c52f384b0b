"""Example inputs shared by the tests: the spec's shop graph and small variations of it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOP_GRAPH = ROOT / "examples" / "shop.graph.json"
SHOP_PROJECT_ID = "7d1c2f4e-5b6a-4c3d-9e8f-0a1b2c3d4e5f"
SHOP_CODE_NODES = 6  # api-gateway, users, catalog, orders, payments, notifications


def shop() -> dict[str, Any]:
    """A fresh copy of the shop example graph."""
    data: dict[str, Any] = json.loads(SHOP_GRAPH.read_text())
    return copy.deepcopy(data)


def node_id(graph: dict[str, Any], name: str) -> str:
    for node in graph["graph"]["nodes"]:
        if node["data"]["serviceName"] == name:
            return str(node["id"])
    raise KeyError(name)
