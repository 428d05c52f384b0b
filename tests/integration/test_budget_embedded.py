"""Budgets in embedded mode (no broker, no Redis, SQLite history): `codegen generate`
in subprocesses against the fake OpenRouter, counting the calls that reach it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.llm.openrouter import OpenRouterClient
from codegen_tasks.errors import LLMError
from codegen_tasks.ports.llm import ChatMessage, CompletionRequest, PriceCap
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.budget_support import budget_for, project
from tests.fixtures.faults import MODEL, BackgroundCli, llm_env, sql, write_graph
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import cli_json, run_cli

pytestmark = pytest.mark.integration


def _embedded_env(server: FakeOpenRouter, folder: Path, **budget: str) -> dict[str, str]:
    return llm_env(
        server,
        CODEGEN_DATABASE_URL=f"sqlite:///{folder / 'codegen.db'}",
        CODEGEN_STORAGE_URL=f"file://{folder / 'bundles'}",
        CODEGEN_CACHE_DIR=str(folder / "cache"),
        **budget,
    )


def _refused(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in result["services"] if s["errorCode"] == "budget_exceeded"]


def test_embedded_run_budget_lets_exactly_its_calls_through(tmp_path: Path) -> None:
    graph = project("emb", 12, "budget-embedded")
    budget = budget_for(3, graph)
    with FakeOpenRouter(
        TEST_API_KEY, scaffold_answer, latency_s=0.3, bill_max_tokens=True
    ) as server:
        env = _embedded_env(server, tmp_path, CODEGEN_BUDGET_USD=str(budget))
        result = cli_json(["generate", str(write_graph(tmp_path, graph))], env, tmp_path, 1)
        calls = server.calls
    assert calls == 3 and result["status"] == "partial"
    refused = _refused(result)
    assert len(refused) == 9 and all(s["errorStatus"] == 402 for s in refused)
    assert all("budget of $" in s["error"] and "spent $" in s["error"] for s in refused)
    history = open_history(env["CODEGEN_DATABASE_URL"])
    assert 0 < history.spent(run_id=result["runId"]) <= budget
    history.engine.dispose()
    shown = run_cli(["status", result["runId"]], env | {"COLUMNS": "250"}, tmp_path)
    table = shown.stdout  # the human table is data: stdout
    assert table.count("budget_exceeded 402") == 9, table


def test_embedded_project_budget_holds_across_two_streaming_processes(
    tmp_path: Path, background_cli: Callable[..., BackgroundCli]
) -> None:
    first = project("pra", 8, "budget-shared")
    second = project("prb", 8, "budget-shared")
    budget = budget_for(4, first, second)
    with FakeOpenRouter(
        TEST_API_KEY, scaffold_answer, latency_s=0.5, tokens_per_s=4000, bill_max_tokens=True
    ) as server:
        env = _embedded_env(server, tmp_path, CODEGEN_PROJECT_BUDGET_USD=str(budget))
        open_history(env["CODEGEN_DATABASE_URL"]).engine.dispose()  # migrated once, up front
        runs = [
            background_cli(
                ["generate", str(write_graph(tmp_path, g, f"{i}.json")), "--stream"], env, tmp_path
            )
            for i, g in enumerate((first, second))
        ]
        results = [run.finish(timeout=180, expect=1) for run in runs]
        calls = server.calls
    assert calls == 4
    assert all(b.get("stream") for b in server.chat_bodies)
    assert {r["status"] for r in results} == {"partial"}
    assert sum(len(_refused(r)) for r in results) == 12
    database = env["CODEGEN_DATABASE_URL"]
    spent = sql(database, "select sum(cost_usd) from llm_calls")[0][0]
    assert 0 < spent <= budget
    assert sql(database, "select count(*) from budget_reservations")[0][0] == 0


def test_the_price_cap_keeps_dearer_providers_out(tmp_path: Path) -> None:
    """OpenRouter routes a capped request only to a provider within `provider.max_price`:
    a cap at the model's price is answered, one below it is not (404, not retried)."""

    def capped(prompt: float) -> CompletionRequest:
        cap = PriceCap(prompt_usd_per_mtok=prompt, completion_usd_per_mtok=15.0)
        message = ChatMessage(role="user", content="hi")
        return CompletionRequest(model=MODEL, messages=[message], max_tokens=50, max_price=cap)

    with (
        FakeOpenRouter(TEST_API_KEY) as server,
        OpenRouterClient(server.base_url, TEST_API_KEY) as client,
    ):
        assert client.complete(capped(3.0)).content
        with pytest.raises(LLMError) as info:
            client.complete(capped(2.5))
        sent = server.chat_bodies
    assert info.value.status == 404 and not info.value.retryable
    assert sent[1]["provider"] == {"max_price": {"prompt": 2.5, "completion": 15.0}}
