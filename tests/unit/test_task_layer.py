"""The task layer through the local runner (embedded mode's), with in-memory ports: every
registered task answers its published result model, in the JSON shape backends read."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from codegen_tasks.adapters.cache.memory import MemoryCache
from codegen_tasks.adapters.history.migrate import make_engine, upgrade
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.storage import write_bundle
from codegen_tasks.adapters.storage.memory import MemoryStore
from codegen_tasks.api import registry
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import (
    ContractsPayload,
    GenerateProjectPayload,
    GenerateServicePayload,
    MergeBundlePayload,
    RegenerateProjectsPayload,
    ValidatePayload,
)
from codegen_tasks.api.registry import REGISTRY, TaskSpec
from codegen_tasks.api.results import SweepResult
from codegen_tasks.api.schema import all_schemas
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import RunStatus
from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import TaskFailedError
from codegen_tasks.pipeline import handlers
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.liveness import sweep
from codegen_tasks.pipeline.local import LocalRunner
from codegen_tasks.settings import Settings
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import fake_clock

Responder = Callable[[dict[str, Any]], str]
MODEL = "anthropic/claude-3.5-sonnet"  # asked of the scripted model (not the built-in one)


def runner_for(tmp_path: Path, responder: Responder = scaffold_answer) -> LocalRunner:
    """In-memory store, cache and model; a file database (a run's threads each connect)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'history.db'}")
    upgrade(engine)
    ids = (f"id{i:06d}" for i in itertools.count())
    deps = Deps(
        settings=Settings(_env_file=None, CODEGEN_RETRY_BACKOFF_S=0.01),  # type: ignore[call-arg]
        history=History(engine),
        store=MemoryStore(),
        cache=MemoryCache(),
        llm_factory=lambda: ScriptedLLM(lambda request: responder(request.model_dump())),
        clock=fake_clock(),
        ids=lambda: next(ids),
    )
    return LocalRunner(deps)


def run(runner: LocalRunner, spec: TaskSpec[Any, Any], payload: Message, task_id: str) -> Any:
    """The task's JSON result, checked against its result model and its published schema."""
    result = runner.run(spec, payload, task_id)
    assert isinstance(result, spec.result)
    return published(spec, result)


def published(spec: TaskSpec[Any, Any], result: BaseModel) -> Any:
    wire = spec.wire(result)
    jsonschema.validate(wire, spec.result.model_json_schema(by_alias=True))
    assert spec.result.model_validate(wire) == result  # the JSON reads back as the model
    return json.loads(json.dumps(wire))


@pytest.fixture
def shop_run(tmp_path: Path) -> tuple[LocalRunner, Any]:
    """A runner whose history has the shop generated, and the project run's JSON result."""
    runner = runner_for(tmp_path)
    payload = GenerateProjectPayload(graph=shop(), **ids_of())
    return runner, run(runner, registry.GENERATE_PROJECT, payload, "run-1")


def ids(node: str, **extra: Any) -> dict[str, Any]:
    return {"project_id": SHOP_PROJECT_ID, "node_id": node, **extra}


# One check per registered task: a new task without one fails test_every_task_is_covered.
def _generate_project(runner: LocalRunner, project: Any) -> None:
    assert project["runId"] == "run-1" and project["status"] == RunStatus.SUCCEEDED
    assert len(project["services"]) == SHOP_CODE_NODES and project["finalTaskId"] is None
    assert all(s["validation"]["structuralPassed"] for s in project["services"])


def _generate_service(runner: LocalRunner, _: Any) -> None:
    payload = GenerateServicePayload(**ids(users_id()), ai_model=MODEL, force_regenerate=True)
    record = run(runner, registry.GENERATE_SERVICE, payload, "single-1")
    assert record["runId"] == "single-1" and record["serviceName"] == "users"
    assert record["status"] == "validating" and record["files"] and record["bundleUri"]
    assert record["model"] == MODEL
    closed = runner.deps.history.run_info("single-1")  # validated, discovered and closed
    assert closed.finished_at is not None and closed.status == RunStatus.SUCCEEDED
    listed = {info.id: info for info in runner.deps.history.runs()}
    assert listed["single-1"] == closed  # a listing reads a run as run_info does, mode included


def _validate_service(runner: LocalRunner, project: Any) -> None:
    node = project["services"][0]["nodeId"]
    one = run(runner, registry.VALIDATE_SERVICE, ValidatePayload(**ids(node)), "v1")
    assert one["structuralPassed"] is True and one["errors"] == []
    every = ValidatePayload(project_id=SHOP_PROJECT_ID)
    services = run(runner, registry.VALIDATE_SERVICE, every, "v2")["services"]
    assert len(services) == SHOP_CODE_NODES and all(s["validation"] for s in services)
    in_run = ValidatePayload(**ids(node, run_id="run-1"))
    assert run(runner, registry.VALIDATE_SERVICE, in_run, "v3")["structuralPassed"] is True


def _validate_project(runner: LocalRunner, _: Any) -> None:
    payload = ValidatePayload(project_id=SHOP_PROJECT_ID)
    result = run(runner, registry.VALIDATE_PROJECT, payload, "vp")
    assert result["projectId"] == SHOP_PROJECT_ID and len(result["services"]) == SHOP_CODE_NODES
    assert {"nodeId", "serviceName", "validation"} == set(result["services"][0])  # no error


def _discover_contracts(runner: LocalRunner, project: Any) -> None:
    latest = run(runner, registry.DISCOVER_CONTRACTS, ContractsPayload(**ids("users")), "d1")
    patterns = {c["pattern"] for c in latest["contracts"]}
    assert {"users.register", "users.login"} <= patterns and set(latest) == {"contracts"}
    node = next(s["nodeId"] for s in project["services"] if s["serviceName"] == "users")
    in_run = ContractsPayload(**ids(node, run_id="run-1"))
    assert run(runner, registry.DISCOVER_CONTRACTS, in_run, "d2") == latest


def _validate_contracts(runner: LocalRunner, _: Any) -> None:
    verdict = run(runner, registry.VALIDATE_CONTRACTS, ContractsPayload(**ids("users")), "vc")
    assert verdict["passed"] is True and verdict["serviceName"] == "users"
    assert set(verdict) == {"nodeId", "serviceName", "passed", "contracts", "errors", "warnings"}


def _regenerate_projects(runner: LocalRunner, _: Any) -> None:
    payload = RegenerateProjectsPayload(project_ids=[SHOP_PROJECT_ID])
    batch = run(runner, registry.REGENERATE_PROJECTS, payload, "batch-1")
    assert batch["batchId"] == "batch-1" and [r["projectId"] for r in batch["runs"]] == [
        SHOP_PROJECT_ID
    ]
    done = runner.deps.history.run_info(batch["runs"][0]["runId"])
    assert done.finished_at is not None and done.batch_id == "batch-1"
    again = run(
        runner,
        registry.REGENERATE_PROJECTS,
        payload.model_copy(update={"batch_id": "batch-1"}),
        "b2",
    )
    assert again["runs"][0]["resumed"] and again["runs"][0]["finished"]


def _merge_bundle(runner: LocalRunner, _: Any) -> None:
    store = runner.deps.store

    def bundle(text: str) -> str:
        files = [GeneratedFile(path="src/a.ts", content=text)]
        return write_bundle(store, "p1", "n1", files, {"kind": "test"}).uri

    lines = "a\nb\nc\nd\ne\nf\n"
    base, user = bundle(lines), bundle(lines.replace("b\n", "b (ours)\n"))
    new = bundle(lines.replace("e\n", "e (new)\n"))
    payload = MergeBundlePayload(
        project_id="p1", node_id="n1", base_bundle_uri=base, user_bundle_uri=user
    ).model_copy(update={"new_bundle_uri": new})
    merged = run(runner, registry.MERGE_BUNDLE, payload, "m1")
    assert merged["clean"] is True and merged["changes"][0]["action"] == "merged"


def _finalize_run(runner: LocalRunner, _: Any) -> None:  # internal: a run id, no payload
    closed = handlers.finalize_run(runner.deps, "run-1")
    result = published(registry.FINALIZE_RUN, closed)
    assert result["runId"] == "run-1" and result["status"] == RunStatus.SUCCEEDED


def _liveness_sweep(runner: LocalRunner, _: Any) -> None:  # internal: no argument
    report = sweep(runner.deps, lambda job, steps: None)  # the shop run is closed
    result = published(registry.LIVENESS_SWEEP, SweepResult.model_validate(report.wire()))
    assert result == {"redispatched": [], "failed": [], "closed": [], "error": None}


CHECKS: dict[str, Callable[[LocalRunner, Any], None]] = {
    registry.GENERATE_PROJECT.name: _generate_project,
    registry.GENERATE_SERVICE.name: _generate_service,
    registry.VALIDATE_SERVICE.name: _validate_service,
    registry.VALIDATE_PROJECT.name: _validate_project,
    registry.DISCOVER_CONTRACTS.name: _discover_contracts,
    registry.VALIDATE_CONTRACTS.name: _validate_contracts,
    registry.REGENERATE_PROJECTS.name: _regenerate_projects,
    registry.MERGE_BUNDLE.name: _merge_bundle,
    registry.FINALIZE_RUN.name: _finalize_run,
    registry.LIVENESS_SWEEP.name: _liveness_sweep,
}


def test_every_task_is_covered() -> None:
    assert set(CHECKS) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_task_answers_its_published_result_model(
    name: str, shop_run: tuple[LocalRunner, Any]
) -> None:
    CHECKS[name](*shop_run)


def test_a_result_that_is_not_the_published_model_is_refused() -> None:
    verdict = registry.VALIDATE_CONTRACTS.result(
        node_id="n", service_name="s", passed=True, contracts=[], errors=[], warnings=[]
    )
    with pytest.raises(TypeError, match=r"codegen\.validate_project returns ValidateProjectResult"):
        registry.VALIDATE_PROJECT.wire(verdict)


def test_the_registry_is_the_one_table() -> None:
    """Routes, schemas, Celery's task names and the client's methods all come from it."""
    import workers.app
    import workers.tasks  # registers the tasks

    assert workers.app.app.conf.task_routes == registry.TASK_ROUTES
    assert set(registry.TASK_ROUTES) == set(REGISTRY)
    celery_tasks = {n for n in workers.app.app.tasks if n.startswith("codegen.")}
    assert celery_tasks == set(REGISTRY)
    schemas = all_schemas()
    assert set(schemas) == {
        f"{n}.{part}" for n in registry.PUBLIC for part in ("payload", "result")
    }
    for name, spec in registry.PUBLIC.items():
        assert schemas[f"{name}.result"] == spec.result.model_json_schema(by_alias=True)
        assert callable(getattr(CodegenClient, name.removeprefix("codegen.")))
    assert registry.FINALIZE_RUN.name not in registry.PUBLIC  # a chord callback, not an API


def test_validate_contracts_names_a_call_no_handler_answers(tmp_path: Path) -> None:
    """users renamed `users.login`: the gateway's call to it is an error of users' verdict,
    located in the gateway's file."""

    def renamed(body: dict[str, Any]) -> str:
        answer = scaffold_answer(body)
        return answer.replace("users.login", "users.signIn") if "src/users/" in answer else answer

    runner = runner_for(tmp_path, renamed)
    runner.run(registry.GENERATE_PROJECT, GenerateProjectPayload(graph=shop(), **ids_of()), "r")
    verdict = run(runner, registry.VALIDATE_CONTRACTS, ContractsPayload(**ids("users")), "vc")
    assert verdict["passed"] is False
    calls = [e for e in verdict["errors"] if "api-gateway calls 'users.login'" in e["message"]]
    assert calls and calls[0]["file"].startswith("api-gateway/") and calls[0]["line"] > 0
    assert calls[0]["level"] == "contract"


def test_validate_contracts_warns_of_dependants_without_a_bundle(tmp_path: Path) -> None:
    runner = runner_for(tmp_path)
    only_users = GenerateProjectPayload(graph=shop(), only_nodes=[users_id()], **ids_of())
    runner.run(registry.GENERATE_PROJECT, only_users, "r")
    verdict = run(runner, registry.VALIDATE_CONTRACTS, ContractsPayload(**ids("users")), "vc")
    assert verdict["passed"] is True and verdict["errors"] == []
    assert any(
        "api-gateway has no bundle yet; its calls are unchecked" in w["message"]
        for w in verdict["warnings"]
    )


def test_validate_contracts_of_a_node_never_generated_fails_not_found(tmp_path: Path) -> None:
    runner = runner_for(tmp_path)
    only_users = GenerateProjectPayload(graph=shop(), only_nodes=[users_id()], **ids_of())
    runner.run(registry.GENERATE_PROJECT, only_users, "r")
    with pytest.raises(TaskFailedError) as failed:
        runner.run(registry.VALIDATE_CONTRACTS, ContractsPayload(**ids("catalog")), "vc")
    assert failed.value.code == "not_found" and "no generated bundle" in failed.value.message


def ids_of() -> dict[str, Any]:
    return {"project_id": SHOP_PROJECT_ID, "ai_model": MODEL}


def users_id() -> str:
    return next(n["id"] for n in shop()["graph"]["nodes"] if n["data"]["serviceName"] == "users")
