"""On PostgreSQL, through the CLI: a generation joins the LLM call that answered it by their
one request hash, and validating the same bundles twice records one validation each."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH, SHOP_PROJECT_ID
from tests.fixtures.faults import llm_env, sql
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import cli_json

pytestmark = pytest.mark.integration

JOIN = (
    "select g.service_name, c.purpose, c.outcome, c.model from generation_history g"
    " join llm_calls c on c.request_hash = g.request_hash"
)
OUTSIDE_RUNS = "select count(*) from validation_results where run_id is null"


def test_generations_join_their_calls_and_repeated_validations_are_one(
    postgres_url: str, tmp_path: Path
) -> None:
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer) as server:
        env = llm_env(server, CODEGEN_DATABASE_URL=postgres_url)
        run = cli_json(["generate", str(SHOP_GRAPH), "--model", "openai/gpt-4o"], env, tmp_path)
        assert run["status"] == "succeeded"
        joined = sql(postgres_url, JOIN)
        assert sorted(r[0] for r in joined) == sorted(s["serviceName"] for s in run["services"])
        assert {(r[1], r[2], r[3]) for r in joined} == {("generate", "ok", "openai/gpt-4o")}

        for _ in range(2):
            cli_json(["validate", "--project", SHOP_PROJECT_ID], env, tmp_path)
        assert sql(postgres_url, OUTSIDE_RUNS)[0][0] == SHOP_CODE_NODES
