"""One home for what may name a file, an object key or an id; every caller refuses alike."""

from __future__ import annotations

import pytest

from codegen_tasks.adapters.storage.bundles import write_bundle
from codegen_tasks.adapters.storage.memory import MemoryStore
from codegen_tasks.api.payload_rules import parse_payload
from codegen_tasks.api.payloads import ContractsPayload
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.files import GeneratedFile, check_path
from codegen_tasks.domain.safety import id_problem, key_problem, path_problem
from codegen_tasks.errors import GraphError, PayloadError, StorageError, UnsafePathError
from codegen_tasks.ports.storage import check_key, check_prefix
from tests.examples import shop

SHARED = {  # refused as a bundle path, an object key and a listing prefix alike
    "nul": "a\x00b",
    "backslash": "a\\b",
    "control": "a\nb",
    "bidi": "a\u202eb",
    "absolute": "/etc/passwd",
    "dotdot": "a/../../b",
    "empty segment": "a//b",
}


@pytest.mark.parametrize("name", SHARED.values(), ids=SHARED.keys())
def test_every_name_rule_refuses_the_shared_tricks(name: str) -> None:
    reason = path_problem(name)
    assert reason is not None
    assert key_problem(name) == key_problem(name, prefix=True) is not None
    with pytest.raises(UnsafePathError):
        check_path(name)
    with pytest.raises(StorageError):
        check_key(name)
    with pytest.raises(StorageError):
        check_prefix(name)


def test_paths_normalise_inner_dots_and_keys_refuse_them() -> None:
    assert check_path("./src/main.ts") == "src/main.ts"
    assert key_problem("a/./b") is not None
    assert path_problem("x" * 201) is not None and path_problem("/".join("a" * 13)) is not None
    assert key_problem("", prefix=True) is None and key_problem("a/", prefix=True) is None
    assert key_problem("") is not None and key_problem("a/") is not None


@pytest.mark.parametrize("bad", ["a/b", "..", "a b", "-x", "x" * 129, ""])
def test_one_id_rule_for_graphs_payloads_and_bundle_keys(bad: str) -> None:
    assert id_problem(bad) is not None
    raw = shop()
    raw["project"]["id"] = bad
    with pytest.raises(GraphError):
        parse_graph(raw)
    with pytest.raises(PayloadError):
        parse_payload(ContractsPayload, {"projectId": bad, "nodeId": "n1"})
    files = [GeneratedFile(path="a.ts", content="x")]
    with pytest.raises(StorageError):
        write_bundle(MemoryStore(), bad, "n1", files, {})
    assert id_problem("shop-1.v2:x_y") is None
