"""AI review and AI contract descriptions: advice added, verdicts and static facts untouched."""

from __future__ import annotations

import json

from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.results import Contract, ValidationResult
from codegen_tasks.generation.scaffold import BUILTIN_MODEL
from codegen_tasks.pipeline.ask import CallContext
from codegen_tasks.pipeline.generators import choose_generator
from codegen_tasks.pipeline.review import describe_contracts, merge_descriptions, with_review
from codegen_tasks.ports.llm import CompletionRequest
from tests.unit.conftest import MakeDeps

MODEL = "anthropic/claude-3.5-sonnet"
MODEL_GENERATOR = choose_generator(MODEL, GenerationMode.FULL)
CTX = CallContext(run_id=None, project_id="p", node_id="n", user_id=None, purpose="review")
FAILED = ValidationResult(structural_passed=True, typescript_passed=False, build_passed=False)


def test_review_adds_warnings_but_never_passes_a_failed_check(make_deps: MakeDeps) -> None:
    review = {
        "errors": [
            {"level": "typescript", "message": "looks fine to me", "file": "a.ts", "line": 3}
        ],
        "warnings": [{"level": "contract", "message": "orders.create lacks validation"}],
        "typescriptPassed": True,
    }
    deps = make_deps(ScriptedLLM(lambda r: "Here you go:\n" + json.dumps(review)))
    result = with_review(deps, CTX, MODEL_GENERATOR, "orders", [], FAILED)
    assert result.typescript_passed is False and not result.passed
    assert [w.message for w in result.warnings] == [
        "AI review: looks fine to me",
        "AI review: orders.create lacks validation",
    ]
    assert result.warnings[0].file == "a.ts" and result.warnings[0].line == 3


def test_a_failing_review_is_a_warning_not_a_failure(make_deps: MakeDeps) -> None:
    deps = make_deps(ScriptedLLM(lambda r: "I refuse"))
    result = with_review(deps, CTX, MODEL_GENERATOR, "orders", [], FAILED)
    assert result.errors == FAILED.errors
    assert "AI review: failed" in result.warnings[0].message


def test_builtin_model_skips_review(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: "{}")
    deps = make_deps(llm)
    result = with_review(
        deps, CTX, choose_generator(BUILTIN_MODEL, GenerationMode.FULL), "orders", [], FAILED
    )
    assert "skipped" in result.warnings[0].message and llm.calls == []


def test_descriptions_fill_gaps_without_overriding_static_facts(make_deps: MakeDeps) -> None:
    static = [
        Contract(pattern="orders.create", request_type="CreateOrder", response_type="Order"),
        Contract(pattern="orders.health", description="Liveness probe"),
    ]
    answer = {
        "contracts": [
            {
                "pattern": "orders.create",
                "type": "event",
                "requestType": "Other",
                "description": "Creates an order from a cart",
            },
            {"pattern": "orders.health", "description": "Something else"},
            {"pattern": "orders.invented", "description": "Not in the code"},
        ]
    }
    merged = merge_descriptions(static, answer)
    assert merged[0].description == "Creates an order from a cart"
    assert merged[0].type == "request" and merged[0].request_type == "CreateOrder"
    assert merged[1].description == "Liveness probe"
    assert [c.pattern for c in merged] == ["orders.create", "orders.health"]
    deps = make_deps(ScriptedLLM(lambda r: json.dumps(answer)))
    assert describe_contracts(deps, CTX, MODEL_GENERATOR, "orders", [], static) == merged


def test_a_run_with_review_keeps_its_verdicts_and_gets_descriptions(make_deps: MakeDeps) -> None:
    from codegen_tasks.testing.echo import scaffold_answer
    from tests.drive import run_project
    from tests.unit.test_pipeline import payload

    def model(request: CompletionRequest) -> str:
        system = request.messages[0].content
        if "You review" in system:
            return json.dumps({"warnings": [{"level": "contract", "message": "add input checks"}]})
        if "message contracts" in system:
            pattern = "users.register"
            return json.dumps({"contracts": [{"pattern": pattern, "description": "Signs up"}]})
        return scaffold_answer(request.model_dump())

    deps = make_deps(ScriptedLLM(model))
    result = run_project(deps, payload(), ai_review=True)
    assert result.status.value == "succeeded"
    users = next(s for s in result.services if s.service_name == "users")
    assert users.validation is not None and users.validation.passed
    assert any(w.message == "AI review: add input checks" for w in users.validation.warnings)
    register = next(c for c in users.contracts if c.pattern == "users.register")
    assert register.description == "Signs up"


def test_validating_latest_bundles_with_review(make_deps: MakeDeps) -> None:
    from codegen_tasks.pipeline.latest import validate_latest, validate_project
    from codegen_tasks.testing.echo import scaffold_answer
    from tests.drive import run_project
    from tests.unit.test_pipeline import payload

    def model(request: CompletionRequest) -> str:
        if "You review" in request.messages[0].content:
            return json.dumps({"errors": [{"level": "build", "message": "no Dockerfile"}]})
        return scaffold_answer(request.model_dump())

    deps = make_deps(ScriptedLLM(model))
    run = run_project(deps, payload())
    services = validate_project(deps, run.project_id, ai_review=True)
    assert len(services) == len(run.services)
    for service in services:
        validation = service.validation
        assert validation is not None and validation.passed
        assert [w.message for w in validation.warnings][-1] == "AI review: no Dockerfile"
    users = next(s for s in run.services if s.service_name == "users")
    plain = validate_latest(deps, run.project_id, users.node_id)
    assert plain.passed and not any(w.message.startswith("AI review") for w in plain.warnings)
