"""An LLM answer that imports a package outside the platform fails the structural level at the
import, and the feedback loop's re-ask (over HTTP to the fake OpenRouter) quotes that error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.fixtures.faults import graph, write_graph
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import clean_env, cli_json

pytestmark = pytest.mark.integration

MODEL = "openai/gpt-4o"
FIX_ASK = "The compiler and validator found these errors"


def _with_axios(body: dict[str, Any]) -> str:
    answer = json.loads(scaffold_answer(body))
    for file in answer["files"]:
        if file["path"] == "src/main.ts":
            file["content"] = "import axios from 'axios';\n" + file["content"] + "void axios;\n"
    return json.dumps(answer)


def _last_user(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def test_an_import_outside_the_platform_is_quoted_to_the_model(tmp_path: Path) -> None:
    def responder(body: dict[str, Any]) -> str:
        return scaffold_answer(body) if FIX_ASK in _last_user(body) else _with_axios(body)

    path = write_graph(tmp_path, graph("orders"))
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=responder) as server:
        env = clean_env(OPENROUTER_API_KEY=TEST_API_KEY, OPENROUTER_BASE_URL=server.base_url)
        run = cli_json(["generate", str(path), "--model", MODEL], env, tmp_path)
        asks = [_last_user(b) for b in server.chat_bodies]
    (service,) = run["services"]
    assert service["status"] == "succeeded", service
    assert len(asks) == 2 and FIX_ASK in asks[1]
    quoted = "[structural] src/main.ts:1 import 'axios': 'axios' is not a package of the"
    assert quoted in asks[1], asks[1]


def test_without_feedback_the_import_fails_the_service(tmp_path: Path) -> None:
    path = write_graph(tmp_path, graph("orders"))
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=_with_axios) as server:
        env = clean_env(
            OPENROUTER_API_KEY=TEST_API_KEY,
            OPENROUTER_BASE_URL=server.base_url,
            CODEGEN_FEEDBACK_ATTEMPTS="0",
        )
        run = cli_json(["generate", str(path), "--model", MODEL], env, tmp_path, expect=1)
    (service,) = run["services"]
    assert service["status"] == "failed"
    errors = service["validation"]["errors"]
    assert {k: errors[0][k] for k in ("level", "file", "line")} == {
        "level": "structural",
        "file": "src/main.ts",
        "line": 1,
    }
    assert "'axios' is not a package of the dependency platform" in errors[0]["message"]
    assert "@nestjs/common" in errors[0]["message"]
