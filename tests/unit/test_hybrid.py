"""Hybrid generation: the skeleton from the scaffold, the model's domain files on it."""

from __future__ import annotations

import json

import pytest

from codegen_tasks.adapters.cache.requests import request_hash
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.api.payloads import GenerateProjectPayload, GenerateServicePayload
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.modes import GenerationMode, resolve_mode
from codegen_tasks.domain.results import RunStatus
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.errors import SkeletonTouchedError
from codegen_tasks.generation.hybrid import (
    HYBRID_PROMPT_VERSION,
    asks_model,
    check_answer,
    hybrid_messages,
    merge,
    service_path,
)
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.ports.llm import ChatMessage, CompletionRequest
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps

MODEL = "openai/gpt-4o"


def node_id(name: str) -> str:
    return next(n.id for n in parse_graph(shop()).graph.code_nodes() if n.name == name)


def spec_of(name: str) -> ServiceSpec:
    project = parse_graph(shop())
    return build_service_spec(project.graph, node_id(name), project.project.name)


def test_only_the_service_and_new_dto_files_are_the_models() -> None:
    spec = spec_of("orders")
    skeleton = render_service(spec)
    service = GeneratedFile(path="src/orders/orders.service.ts", content="x")
    extra_dto = GeneratedFile(path="src/orders/dto/refund.dto.ts", content="x")
    check_answer(spec, skeleton, [service, extra_dto])
    touched = [
        GeneratedFile(path="package.json", content="{}"),
        GeneratedFile(path="src/orders/dto/crud.dto.ts", content="x"),  # the skeleton's DTO
        service,
    ]
    with pytest.raises(SkeletonTouchedError) as caught:
        check_answer(spec, skeleton, touched)
    assert caught.value.paths == ["package.json", "src/orders/dto/crud.dto.ts"]
    assert "src/orders/orders.service.ts" in caught.value.message


def test_merge_puts_the_domain_files_on_the_skeleton() -> None:
    spec = spec_of("payments")
    skeleton = render_service(spec)
    mine = GeneratedFile(path=service_path(spec), content="export class PaymentsService {}\n")
    extra = GeneratedFile(path="src/payments/dto/refund.dto.ts", content="export {};\n")
    bundle = merge(skeleton, [mine, extra])
    assert [f.path for f in bundle] == sorted({f.path for f in skeleton} | {extra.path})
    by_path = {f.path: f for f in bundle}
    assert by_path[service_path(spec)] == mine
    assert by_path["package.json"] == next(f for f in skeleton if f.path == "package.json")


def test_the_prompt_gives_the_skeleton_read_only_and_asks_for_domain_files() -> None:
    spec = spec_of("orders")
    skeleton = render_service(spec)
    system, user = hybrid_messages(spec, skeleton)
    assert "Write ONLY these paths" in system.content
    assert service_path(spec) in system.content and "src/orders/dto/" in system.content
    repository = next(f for f in skeleton if f.path.startswith("src/database/"))
    assert f"--- {repository.path}\n" in user.content and repository.content in user.content
    assert "--- Dockerfile" not in user.content  # only what the domain code reads
    assert "Service spec as JSON:" in user.content
    assert "Generate the complete service" not in user.content


def test_gateways_have_no_domain_logic_to_ask_for() -> None:
    gateway = spec_of("api-gateway")
    assert not asks_model(gateway, render_service(gateway))
    orders = spec_of("orders")
    assert asks_model(orders, render_service(orders))


def test_mode_resolution_and_the_cache_key() -> None:
    full, hybrid = GenerationMode.FULL, GenerationMode.HYBRID
    assert resolve_mode(None, False, full) is full
    assert resolve_mode(None, True, full) is GenerationMode.MULTI_STEP
    assert resolve_mode(hybrid, True, full) is hybrid
    assert resolve_mode(None, False, hybrid) is hybrid
    payload = GenerateProjectPayload.model_validate({"projectId": "p", "mode": "hybrid"})
    assert payload.mode is hybrid
    alias = GenerateServicePayload.model_validate(
        {"projectId": "p", "nodeId": "n", "multiStep": True}
    )
    assert resolve_mode(alias.mode, alias.multi_step, full) is GenerationMode.MULTI_STEP
    request = CompletionRequest(model=MODEL, messages=[ChatMessage(role="user", content="x")])
    assert request_hash(request) != request_hash(request.model_copy(update={"mode": "hybrid"}))


def test_a_hybrid_run_records_which_files_the_model_wrote(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda request: scaffold_answer(request.model_dump()))
    deps = make_deps(llm, CODEGEN_GENERATION_MODE="hybrid")
    result = run_project(
        deps, GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=shop(), ai_model=MODEL)
    )
    assert result.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == SHOP_CODE_NODES - 1  # the gateway's skeleton is its bundle
    assert all(c.mode == "hybrid" and c.prompt_version == HYBRID_PROMPT_VERSION for c in llm.calls)
    for service in result.services:
        record = deps.history.latest_generation(SHOP_PROJECT_ID, service.node_id, succeeded=True)
        assert record is not None and record.prompt_version == HYBRID_PROMPT_VERSION
        from_model = [f.path for f in record.files if f.source == "model"]
        name = service.service_name
        expected = [] if name == "api-gateway" else [f"src/{name}/{name}.service.ts"]
        assert from_model == expected, name
        assert {f.source for f in record.files} >= {"builtin"}


def test_an_answer_touching_the_skeleton_is_re_asked(make_deps: MakeDeps) -> None:
    def responder(request: CompletionRequest) -> str:
        answer = json.loads(scaffold_answer(request.model_dump()))
        if len(request.messages) == 2:  # the first answer also rewrites package.json
            answer["files"].append({"path": "package.json", "content": "{}"})
        return json.dumps(answer)

    llm = ScriptedLLM(responder)
    deps = make_deps(llm, CODEGEN_GENERATION_MODE="hybrid")
    payload = GenerateProjectPayload(
        project_id=SHOP_PROJECT_ID, graph=shop(), ai_model=MODEL, only_nodes=[node_id("orders")]
    )
    result = run_project(deps, payload)
    assert result.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == 2
    assert "skeleton files, which are read-only: package.json" in llm.calls[1].messages[-1].content
