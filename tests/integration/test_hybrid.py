"""Hybrid mode as a user runs it: `codegen generate --mode hybrid` in a subprocess, the fake
OpenRouter over HTTP answering with domain files only, every validation level on the merged
bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from codegen_tasks.generation.hybrid import DOMAIN_ASK
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH
from tests.fixtures.faults import graph, write_graph
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.services import POSTGRES_URL
from tests.fixtures.workers import clean_env, cli_json

pytestmark = pytest.mark.integration
MODEL = "anthropic/claude-3.5-sonnet"


def _env(server: FakeOpenRouter) -> dict[str, str]:
    return clean_env(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=server.base_url,
        CODEGEN_CHECK_DATABASE_URL=POSTGRES_URL,
    )


def _model_files(cwd: Path) -> dict[str, list[str]]:
    """Service name -> the files its recorded generation says the model wrote."""
    engine = sa.create_engine(f"sqlite:///{cwd / '.codegen' / 'codegen.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT service_name, files FROM generation_history"))
        found = {
            name: [f["path"] for f in json.loads(files) if f.get("source") == "model"]
            for name, files in rows
        }
    engine.dispose()
    return found


def test_the_shop_passes_every_level_in_hybrid_mode(tmp_path: Path) -> None:
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer) as server:
        args = ["generate", str(SHOP_GRAPH), "--model", MODEL, "--mode", "hybrid"]
        run = cli_json(args, _env(server), tmp_path)
        bodies = server.chat_bodies
    assert run["status"] == "succeeded"
    assert len(run["services"]) == SHOP_CODE_NODES
    for service in run["services"]:
        validation = service["validation"]
        assert all(validation[k] is True for k in validation if k.endswith("Passed")), service
        assert service["contracts"], service["serviceName"]
    assert len(bodies) == SHOP_CODE_NODES - 1  # the gateway's skeleton is its whole bundle
    assert all(DOMAIN_ASK in b["messages"][-1]["content"] for b in bodies)
    written = _model_files(tmp_path)
    assert written["orders"] == ["src/orders/orders.service.ts"]
    assert written["api-gateway"] == []


def test_an_answer_that_touches_the_skeleton_is_re_asked(tmp_path: Path) -> None:
    def responder(body: dict[str, Any]) -> str:
        answer = json.loads(scaffold_answer(body))
        if len(body["messages"]) == 2:  # the first answer also "fixes" the bootstrap
            answer["files"].append({"path": "src/main.ts", "content": "console.log('hi');\n"})
        return json.dumps(answer)

    path = write_graph(tmp_path, graph("orders"))
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=responder) as server:
        args = ["generate", str(path), "--model", MODEL, "--mode", "hybrid"]
        run = cli_json(args, _env(server), tmp_path)
        asks = [str(b["messages"][-1]["content"]) for b in server.chat_bodies]
    (service,) = run["services"]
    assert service["status"] == "succeeded", service
    assert len(asks) == 2
    assert "skeleton files, which are read-only: src/main.ts" in asks[1]
    assert _model_files(tmp_path)["orders"] == ["src/orders/orders.service.ts"]


def test_the_feedback_loop_fixes_the_models_files_in_hybrid_mode(tmp_path: Path) -> None:
    fix_ask = "The compiler and validator found these errors"

    def responder(body: dict[str, Any]) -> str:
        answer = json.loads(scaffold_answer(body))
        if fix_ask not in str(body["messages"][-1]["content"]):  # the first answer is wrong
            (service,) = answer["files"]
            service["content"] = "import axios from 'axios';\nvoid axios;\n" + service["content"]
        return json.dumps(answer)

    path = write_graph(tmp_path, graph("orders"))
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=responder) as server:
        args = ["generate", str(path), "--model", MODEL, "--mode", "hybrid"]
        run = cli_json(args, _env(server), tmp_path)
        bodies = server.chat_bodies
    (service,) = run["services"]
    assert service["status"] == "succeeded", service
    assert len(bodies) == 2
    fix = bodies[1]["messages"]
    assert DOMAIN_ASK in fix[1]["content"]  # the hybrid prompt, skeleton read-only
    quoted = json.loads(fix[2]["content"])["files"]  # the model's own files only
    assert [f["path"] for f in quoted] == ["src/orders/orders.service.ts"]
    assert "src/orders/orders.service.ts:1 import 'axios'" in fix[3]["content"]
