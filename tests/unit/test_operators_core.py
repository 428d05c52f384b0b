"""Operator-facing pieces without I/O: schemas, Flower summaries, estimates, progress hook,
batch run ids."""

from __future__ import annotations

import pytest

from codegen_tasks.adapters.history.repository import History
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, RegenerateProjectsPayload
from codegen_tasks.api.registry import PUBLIC as TASKS
from codegen_tasks.api.schema import all_schemas
from codegen_tasks.api.summary import summary
from codegen_tasks.budget.estimate import DEFAULT_COMPLETION_TOKENS, estimate_project, prompt_tokens
from codegen_tasks.budget.prices import price_of
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.errors import CodegenError, PayloadError
from codegen_tasks.generation.scaffold import BUILTIN_MODEL
from codegen_tasks.pipeline.batch import batch_run, run_payload
from codegen_tasks.pipeline.progress import StreamProgress, progress_listener
from codegen_tasks.settings import Settings
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps

SONNET = "anthropic/claude-3.5-sonnet"


def test_every_task_has_a_payload_and_a_result_schema() -> None:
    schemas = all_schemas()
    for task in TASKS:
        assert schemas[f"{task}.payload"]["type"] == "object"
        assert f"{task}.result" in schemas
    validate = schemas["codegen.validate_project.result"]
    assert set(validate["properties"]) == {"projectId", "services"}
    batch = schemas["codegen.regenerate_projects.result"]
    assert set(batch["properties"]) == {"batchId", "runs"}
    assert "batchId" in schemas["codegen.regenerate_projects.payload"]["properties"]


def test_flower_summary_is_short_and_never_carries_graphs_or_metadata() -> None:
    payload = GenerateProjectPayload(
        metadata={"user_id": "u1", "api_key": "sk-secret"},  # type: ignore[arg-type]
        project_id="p1",
        graph=shop(),
    ).wire()
    text = summary(payload)
    assert "p1" in text and "<inline>" in text
    assert "sk-secret" not in text and "serviceName" not in text and len(text) < 200
    many = summary({"projectIds": [f"p{i}" for i in range(40)]})
    assert "+35 more" in many and len(many) < 120


def test_client_validates_payloads_before_sending() -> None:
    client = CodegenClient(Settings(_env_file=None, CODEGEN_BROKER_URL="redis://127.0.0.1:1/0"))  # type: ignore[call-arg]
    with pytest.raises(CodegenError, match="unknown task"):
        client.enqueue("codegen.nope", {})
    with pytest.raises(PayloadError, match="projectId: Field required") as refused:
        client.validate_project({"nodeId": "x"})
    assert refused.value.data["problems"] == ["projectId: Field required"]
    assert client.validated("codegen.validate_project", {"projectId": "p"})["projectId"] == "p"


def test_estimate_uses_prompt_sizes_prices_and_skips_unchanged_nodes() -> None:
    project = parse_graph(shop())
    first = project.graph.code_nodes()[0].id
    est = estimate_project(
        project, SONNET, price_of(SONNET), (None, "default"), unchanged=frozenset({first})
    )
    assert est.price_source == "table" and est.completion_source == "default"
    assert len(est.services) == SHOP_CODE_NODES and est.services[0].skipped
    assert est.completion_tokens == DEFAULT_COMPLETION_TOKENS * (SHOP_CODE_NODES - 1)
    expected_prompt = sum(prompt_tokens(project, s.node_id) for s in est.services[1:])
    assert est.prompt_tokens == expected_prompt > 0
    expected_usd = (expected_prompt * 3.0 + est.completion_tokens * 15.0) / 1e6
    assert est.cost_usd == pytest.approx(expected_usd)
    free = estimate_project(project, BUILTIN_MODEL, price_of(BUILTIN_MODEL), (None, "default"))
    assert free.cost_usd == 0 and free.prompt_tokens == 0
    unknown = estimate_project(project, "x/unknown", price_of("x/unknown"), (900, "history"))
    assert unknown.cost_usd is None and unknown.completion_tokens == 900 * SHOP_CODE_NODES


def test_progress_listener_gets_the_throttled_updates(make_deps: MakeDeps) -> None:
    seen: list[tuple[str, str, int]] = []
    deps = make_deps()
    with progress_listener(lambda run, node, tokens: seen.append((run, node, tokens))):
        progress = StreamProgress(deps, "r", "n")
    for _ in range(50):
        progress.on_chunk("abcd" * 10)
    assert seen == [("r", "n", 10)]  # the first chunk; the rest fall inside the interval
    boom = StreamProgress(deps, "r", "n")
    with progress_listener(lambda *_: (_ for _ in ()).throw(RuntimeError("x"))):
        boom = StreamProgress(deps, "r", "n")
    boom.on_chunk("abcd")  # a failing listener never breaks generation


def test_batch_runs_are_stable_and_finished_runs_are_recognised(make_deps: MakeDeps) -> None:
    deps = make_deps()
    history: History = deps.history
    request = RegenerateProjectsPayload(all=True)
    fresh = batch_run(history, "b1", SHOP_PROJECT_ID)
    assert fresh == batch_run(history, "b1", SHOP_PROJECT_ID) and not fresh.resumed
    assert fresh.run_id != batch_run(history, "b2", SHOP_PROJECT_ID).run_id
    payload = run_payload(request, "b1", fresh).model_copy(update={"graph": shop()})
    run_project(deps, payload)
    done = batch_run(history, "b1", SHOP_PROJECT_ID)
    assert done.resumed and done.finished and done.run_id == fresh.run_id
