"""The pipeline's task bodies end to end over in-memory ports."""

from __future__ import annotations

import json

import pytest

from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.storage.bundles import read_bundle
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import RunResult, RunStatus, ServiceStatus
from codegen_tasks.errors import LLMError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import generate_node
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.project import start_run
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, node_id, shop
from tests.unit.conftest import MakeDeps

MODEL = "anthropic/claude-3.5-sonnet"


def payload(model: str | None = MODEL, force: bool = False) -> GenerateProjectPayload:
    return GenerateProjectPayload(
        project_id=SHOP_PROJECT_ID, graph=shop(), ai_model=model, force_regenerate=force
    )


def statuses(result: RunResult) -> dict[str, ServiceStatus]:
    return {s.service_name: s.status for s in result.services}


def test_builtin_generator_needs_no_model(make_deps: MakeDeps) -> None:
    deps = make_deps()
    result = run_project(deps, payload(model=None))
    assert result.status is RunStatus.SUCCEEDED
    assert len(result.services) == SHOP_CODE_NODES
    for service in result.services:
        assert service.status is ServiceStatus.SUCCEEDED, service.error
        assert service.model == "builtin/scaffold"
        assert service.validation is not None and service.validation.passed
        assert service.validation.typescript_passed is None  # not run: reported, never passed
        assert any(c.pattern == f"{service.service_name}.health" for c in service.contracts)
        files = read_bundle(deps.store, service.bundle_uri or "")
        assert {"package.json", "tsconfig.json", "src/main.ts"} <= {f.path for f in files}


def test_second_run_skips_unchanged_nodes_and_force_regenerates(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm)
    first = run_project(deps, payload())
    assert first.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == SHOP_CODE_NODES
    assert all(s.tokens > 0 and not s.cached for s in first.services)

    second = run_project(deps, payload())
    assert set(statuses(second).values()) == {ServiceStatus.SKIPPED}
    assert second.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == SHOP_CODE_NODES
    assert [s.bundle_uri for s in second.services] == [s.bundle_uri for s in first.services]

    forced = run_project(deps, payload(force=True))
    assert all(s.cached and s.status is ServiceStatus.SUCCEEDED for s in forced.services)
    assert len(llm.calls) == SHOP_CODE_NODES  # answered from the cache


def test_a_regenerated_callers_prompt_carries_its_unchanged_callees_types(
    make_deps: MakeDeps,
) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm)
    run_project(deps, payload())
    first_orders = next(
        m.content for r in llm.calls for m in r.messages if "Service name: orders" in m.content
    )
    assert "exact message types" not in first_orders  # nothing discovered yet
    graph = shop()
    for node in graph["graph"]["nodes"]:
        if node["data"]["serviceName"] == "orders":
            node["data"]["config"]["description"] = "Orders, paid through payments."
    changed = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=graph, ai_model=MODEL)
    result = run_project(deps, changed)
    assert statuses(result)["orders"] is ServiceStatus.SUCCEEDED
    assert statuses(result)["payments"] is ServiceStatus.SKIPPED
    prompt = next(
        m.content
        for r in llm.calls[SHOP_CODE_NODES:]
        for m in r.messages
        if "Service name: orders" in m.content
    )
    assert "exact message types of payments" in prompt
    assert "'payments.charge': payload PaymentsChargeDto, reply PaymentsPayment" in prompt
    assert "export class PaymentsChargeDto {" in prompt


def test_a_changed_node_is_the_only_one_regenerated(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm)
    run_project(deps, payload())
    graph = shop()
    for node in graph["graph"]["nodes"]:
        if node["data"]["serviceName"] == "notifications":
            node["data"]["config"]["description"] = "Sends e-mails and SMS."
    changed = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=graph, ai_model=MODEL)
    result = run_project(deps, changed)
    assert statuses(result)["notifications"] is ServiceStatus.SUCCEEDED
    assert len(llm.calls) == SHOP_CODE_NODES + 1


def test_bad_answers_are_repaired_within_bounds(make_deps: MakeDeps) -> None:
    good = scaffold_answer(payload_body(make_deps))
    llm = ScriptedLLM.replying("Sorry, here it is: {oops", good)
    deps = make_deps(llm)
    record = generate_one(deps, "users")
    assert record.status is ServiceStatus.VALIDATING  # a success only once validated
    assert record.bundle_uri is not None
    assert record.attempts == 2
    assert "could not be used" in llm.calls[1].messages[-1].content


def test_repair_gives_up_with_the_error_recorded(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: "no json here")
    deps = make_deps(llm, CODEGEN_REPAIR_ATTEMPTS=1)
    record = generate_one(deps, "users")
    assert record.status is ServiceStatus.FAILED
    assert "no JSON object" in (record.error or "") and "2 attempts" in (record.error or "")
    assert len(llm.calls) == 2


def test_unsafe_paths_fail_the_node_and_write_nothing(make_deps: MakeDeps) -> None:
    evil = json.dumps({"files": [{"path": "../../etc/passwd", "content": "x"}]})
    deps = make_deps(ScriptedLLM(lambda r: evil), CODEGEN_REPAIR_ATTEMPTS=0)
    record = generate_one(deps, "users")
    assert record.status is ServiceStatus.FAILED
    assert "unsafe file path" in (record.error or "")
    assert deps.store.list("") == []


def test_non_retryable_errors_fail_one_node_and_the_run_is_partial(make_deps: MakeDeps) -> None:
    def responder(request: CompletionRequest) -> str | Exception:
        if "Service name: payments" in request.messages[1].content:
            return LLMError("Invalid API key", status=401)
        return scaffold_answer(request.model_dump())

    deps = make_deps(ScriptedLLM(responder))
    result = run_project(deps, payload())
    assert result.status is RunStatus.PARTIAL
    payments = next(s for s in result.services if s.service_name == "payments")
    assert payments.status is ServiceStatus.FAILED and "Invalid API key" in (payments.error or "")


def test_retryable_errors_propagate_to_the_task_layer(make_deps: MakeDeps) -> None:
    deps = make_deps(ScriptedLLM(lambda r: LLMError("busy", status=429, retryable=True)))
    with pytest.raises(LLMError) as info:
        generate_one(deps, "users")
    assert info.value.retryable


def test_budget_refuses_calls_past_the_limit(make_deps: MakeDeps) -> None:
    from codegen_tasks.ports.llm import ModelInfo

    price = ModelInfo(id=MODEL, prompt_usd_per_mtok=3000.0, completion_usd_per_mtok=15000.0)
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()), models=[price])
    deps = make_deps(llm, CODEGEN_BUDGET_USD=0.01)
    result = run_project(deps, payload())
    failed = [s for s in result.services if s.status is ServiceStatus.FAILED]
    assert failed and all("budget" in (s.error or "") for s in failed)
    assert len(llm.calls) < SHOP_CODE_NODES


def test_redelivered_generation_returns_the_first_record(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm)
    first = generate_one(deps, "users", run_id="run-1")
    again = generate_node(deps, job(deps, "users", "run-1"))
    assert again.id == first.id and len(llm.calls) == 1


def payload_body(make_deps: MakeDeps) -> dict[str, object]:
    """The request body a model would get for the `users` node."""
    deps = make_deps()
    start_run(deps, payload(), "probe")
    from codegen_tasks.generation.prompts import generation_messages
    from codegen_tasks.pipeline.generate import load_spec

    spec = load_spec(deps, "probe", node_id(shop(), "users"))
    return {"messages": [m.model_dump() for m in generation_messages(spec)]}


def job(deps: Deps, name: str, run_id: str) -> NodeJob:
    return NodeJob(SHOP_PROJECT_ID, node_id(shop(), name), run_id, MODEL)


def generate_one(deps: Deps, name: str, run_id: str = "run-1") -> GenerationRecord:
    start_run(deps, payload(), run_id)
    return generate_node(deps, job(deps, name, run_id))
