"""Operator commands against real services: the Graph Service over HTTP, costs, models,
estimates and the HTML report, each with --json."""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from codegen_tasks.adapters.graphs.http import HttpGraphSource
from codegen_tasks.errors import GraphSourceError, NotFoundError
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.contracts_graphs import GraphCase, GraphSourceContract
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH, SHOP_PROJECT_ID, shop
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import clean_env, cli_json

pytestmark = pytest.mark.integration
MODEL = "anthropic/claude-3.5-sonnet"


class GraphService:
    """A tiny Graph Service: /projects/<id>/graph; `flaky` answers 503 twice, `slow` hangs."""

    def __init__(self) -> None:
        self.graphs: dict[str, Any] = {SHOP_PROJECT_ID: shop()}
        self.hits: dict[str, int] = {}
        self.tokens: list[str | None] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return None

            def do_GET(self) -> None:
                project = unquote(self.path.split("/")[2])
                service.hits[project] = service.hits.get(project, 0) + 1
                service.tokens.append(self.headers.get("Authorization"))
                if project == "slow":
                    time.sleep(1.5)
                if project == "flaky" and service.hits[project] <= 2:
                    return self._send(503, b"{}")
                if project == "garbage":
                    return self._send(200, b"<html>")
                graph = service.graphs.get(project) or (
                    {"data": service.graphs[SHOP_PROJECT_ID]} if project == "flaky" else None
                )
                if graph is None:
                    return self._send(404, b'{"message": "not found"}')
                return self._send(200, json.dumps(graph).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Connection", "close")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/projects/{{projectId}}/graph"


@pytest.fixture
def graph_service() -> Iterator[GraphService]:
    service = GraphService()
    service.thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()
    service.thread.join(timeout=10)


class TestHttpGraphSource(GraphSourceContract):
    @pytest.fixture
    def graph_case(self, graph_service: GraphService) -> GraphCase:
        graph_service.graphs.clear()
        return GraphCase(HttpGraphSource(graph_service.url), graph_service.graphs)


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(_env_file=None, CODEGEN_GRAPH_SERVICE_URL=url, **extra)  # type: ignore[call-arg]


def fetch(settings: Settings, project_id: str) -> dict[str, Any]:
    return HttpGraphSource.from_settings(settings).fetch(project_id)


def test_graph_service_fetch_retries_and_errors(graph_service: GraphService) -> None:
    settings = _settings(graph_service.url, CODEGEN_GRAPH_SERVICE_TOKEN="gs-token")
    assert fetch(settings, SHOP_PROJECT_ID)["project"]["id"] == SHOP_PROJECT_ID
    assert graph_service.tokens[-1] == "Bearer gs-token"
    assert fetch(settings, "flaky")["project"]["id"] == SHOP_PROJECT_ID  # {"data": …}
    assert graph_service.hits["flaky"] == 3
    with pytest.raises(NotFoundError):
        fetch(settings, "nope")
    with pytest.raises(GraphSourceError, match="invalid JSON") as bad:
        fetch(settings, "garbage")
    assert not bad.value.retryable
    slow = _settings(graph_service.url, CODEGEN_GRAPH_SERVICE_TIMEOUT_S=0.3,
                     CODEGEN_GRAPH_SERVICE_RETRIES=1)  # fmt: skip
    with pytest.raises(GraphSourceError, match="timed out") as late:
        fetch(slow, "slow")
    assert late.value.retryable and graph_service.hits["slow"] == 2


def test_generate_and_regenerate_from_the_graph_service(
    tmp_path: Path, graph_service: GraphService, postgres_url: str
) -> None:
    env = clean_env(
        CODEGEN_GRAPH_SERVICE_URL=graph_service.url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_VALIDATE_TYPESCRIPT="false",
    )
    run = cli_json(["generate", "--project", SHOP_PROJECT_ID], env, tmp_path)
    assert run["status"] == "succeeded" and len(run["services"]) == SHOP_CODE_NODES
    missing = cli_json(["generate", "--project", "nope"], env, tmp_path, expect=2)
    assert missing["error"]["code"] == "not_found"

    changed = copy.deepcopy(graph_service.graphs[SHOP_PROJECT_ID])
    changed["graph"]["nodes"][1]["data"]["config"]["description"] = "Users, now with avatars"
    graph_service.graphs[SHOP_PROJECT_ID] = changed
    hits = graph_service.hits[SHOP_PROJECT_ID]
    batch = cli_json(["regenerate", "--project", SHOP_PROJECT_ID], env, tmp_path)
    assert graph_service.hits[SHOP_PROJECT_ID] == hits + 1  # the task fetched the graph
    statuses = {s["serviceName"]: s["status"] for s in batch["runs"][0]["services"]}
    assert statuses["users"] == "succeeded"  # its inputs changed (and its callers' prompts)
    assert statuses["catalog"] == statuses["payments"] == "skipped"


@pytest.fixture
def model_server() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer) as server:
        yield server


def test_costs_models_estimate_and_report(
    tmp_path: Path, model_server: FakeOpenRouter, postgres_url: str
) -> None:
    env = clean_env(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=model_server.base_url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_VALIDATE_TYPESCRIPT="false",
    )
    before = cli_json(["generate", str(SHOP_GRAPH), "--estimate", "--model", MODEL], env, tmp_path)
    assert before["priceSource"] == "provider" and before["completionSource"] == "default"
    assert before["completionTokens"] == 8000 * SHOP_CODE_NODES and before["costUsd"] > 0
    assert model_server.calls == 0  # an estimate spends nothing

    run = cli_json(["generate", str(SHOP_GRAPH), "--model", MODEL], env, tmp_path)
    spent = sum(s["costUsd"] for s in run["services"])
    costs = cli_json(
        ["costs", "--project", SHOP_PROJECT_ID, "--since", "2020-01-01"], env, tmp_path
    )
    assert costs["totalUsd"] == pytest.approx(spent) and costs["lines"][0]["calls"] == 6
    by_model = cli_json(["costs", "--by", "model"], env, tmp_path)
    assert [line["key"] for line in by_model["lines"]] == [MODEL]
    assert cli_json(["costs", "--user", "nobody"], env, tmp_path)["lines"] == []

    models = cli_json(["models", "--search", "claude"], env, tmp_path)["models"]
    assert models and all("claude" in m["id"] for m in models)
    assert all(m["promptUsdPerMtok"] is not None for m in models)

    again = cli_json(["generate", str(SHOP_GRAPH), "--estimate", "--model", MODEL], env, tmp_path)
    assert all(s["skipped"] for s in again["services"]) and again["costUsd"] == 0
    forced = cli_json(
        ["generate", str(SHOP_GRAPH), "--estimate", "--model", MODEL, "--force"], env, tmp_path
    )
    assert forced["completionSource"] == "history" and forced["costUsd"] > 0

    out = tmp_path / "report" / "run.html"
    report = cli_json(["report", run["runId"], "--html", str(out)], env, tmp_path)
    page = out.read_text()
    assert report["status"] == "succeeded" and report["bytes"] == len(page.encode())
    assert page.count('<g class="node"') == 8 and "orders.health" in page
    assert cli_json(["report", "no-such-run"], env, tmp_path, expect=2)["error"]["code"]
