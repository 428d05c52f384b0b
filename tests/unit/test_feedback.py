"""The feedback loop: failing model output is regenerated once with the validator's errors."""

from __future__ import annotations

import json

from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import payload

FIX_ASK = "The compiler and validator found these errors"


def without_main(request: CompletionRequest) -> str:
    answer = json.loads(scaffold_answer(request.model_dump()))
    answer["files"] = [f for f in answer["files"] if f["path"] != "src/main.ts"]
    return json.dumps(answer)


def test_failing_output_is_fixed_with_the_errors_in_the_prompt(make_deps: MakeDeps) -> None:
    def model(request: CompletionRequest) -> str:
        if FIX_ASK in request.messages[-1].content:
            return scaffold_answer(request.model_dump())
        return without_main(request)

    llm = ScriptedLLM(model)
    deps = make_deps(llm)
    result = run_project(deps, payload())
    assert all(s.status is ServiceStatus.SUCCEEDED for s in result.services), result
    fixes = [c for c in llm.calls if FIX_ASK in c.messages[-1].content]
    assert len(fixes) == len(result.services)
    assert all("src/main.ts" in c.messages[-1].content for c in fixes)
    users = next(s for s in result.services if s.service_name == "users")
    generation = deps.history.latest_generation(result.project_id, users.node_id)
    assert generation is not None and generation.attempts == 2
    assert generation.idempotency_key.endswith(":generate:fix1")


def test_the_loop_is_bounded_and_the_failure_recorded(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(without_main)
    deps = make_deps(llm)
    result = run_project(deps, payload())
    assert all(s.status is ServiceStatus.FAILED for s in result.services)
    assert len(llm.calls) == 2 * len(result.services)
    users = next(s for s in result.services if s.service_name == "users")
    assert users.error is not None and "src/main.ts" in users.error
    assert users.validation is not None and users.validation.structural_passed is False


def test_no_feedback_when_disabled(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(without_main)
    deps = make_deps(llm, CODEGEN_FEEDBACK_ATTEMPTS=0)
    result = run_project(deps, payload())
    assert len(llm.calls) == len(result.services)
