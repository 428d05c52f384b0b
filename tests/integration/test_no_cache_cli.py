"""`codegen generate --no-cache` asks the model again; `--force` alone is answered from the
cache (embedded mode over the fake OpenRouter, the CLI in a subprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_tasks.testing import FakeOpenRouter
from tests.fixtures.faults import MODEL, graph, llm_env, write_graph
from tests.fixtures.workers import cli_json

pytestmark = pytest.mark.integration


def test_no_cache_asks_the_model_again_and_force_does_not(
    tmp_path: Path, scaffold_server: FakeOpenRouter
) -> None:
    env = llm_env(scaffold_server, CODEGEN_HOME=str(tmp_path / "state"))
    path = str(write_graph(tmp_path, graph("orders", "billing")))
    first = cli_json(["generate", path, "--model", MODEL], env, tmp_path)
    assert first["status"] == "succeeded" and scaffold_server.calls == 2
    forced = cli_json(["generate", path, "--model", MODEL, "--force"], env, tmp_path)
    assert forced["status"] == "succeeded" and scaffold_server.calls == 2
    assert all(s["cached"] for s in forced["services"])
    fresh = cli_json(["generate", path, "--model", MODEL, "--force", "--no-cache"], env, tmp_path)
    assert fresh["status"] == "succeeded" and scaffold_server.calls == 4
    assert not any(s["cached"] for s in fresh["services"])
