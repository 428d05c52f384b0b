"""The generator of a request is chosen once, by one function; the pipeline asks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_tasks.api.payloads import GenerateServicePayload
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.generation.hybrid import HYBRID_PROMPT_VERSION
from codegen_tasks.generation.prompts import PROMPT_VERSION
from codegen_tasks.generation.scaffold import BUILTIN_MODEL, SCAFFOLD_VERSION
from codegen_tasks.pipeline.generators import (
    HybridGenerator,
    ModelGenerator,
    ScaffoldGenerator,
    choose_generator,
    generator_of,
    requested_model,
)
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.unchanged import inputs_hash, unchanged
from codegen_tasks.settings import Settings
from tests.drive import run_project
from tests.examples import SHOP_PROJECT_ID, node_id, shop
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import payload

MODEL = "openai/gpt-4o"
PACKAGE = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_the_builtin_model_gets_the_scaffold_in_every_mode(mode: GenerationMode) -> None:
    generator = choose_generator(BUILTIN_MODEL, mode)
    assert isinstance(generator, ScaffoldGenerator)
    assert not generator.calls_model and generator.version == SCAFFOLD_VERSION


def test_a_model_writes_as_its_mode_says() -> None:
    full = choose_generator(MODEL, GenerationMode.FULL)
    multi = choose_generator(MODEL, GenerationMode.MULTI_STEP)
    hybrid = choose_generator(MODEL, GenerationMode.HYBRID)
    assert isinstance(full, ModelGenerator) and isinstance(multi, ModelGenerator)
    assert multi.mode is GenerationMode.MULTI_STEP
    assert isinstance(hybrid, HybridGenerator)
    assert all(g.calls_model for g in (full, multi, hybrid))
    assert (full.version, hybrid.version) == (PROMPT_VERSION, HYBRID_PROMPT_VERSION)


def test_the_default_model_is_resolved_in_one_place() -> None:
    keyless = Settings(_env_file=None)  # type: ignore[call-arg]
    keyed = Settings(_env_file=None, OPENROUTER_API_KEY="k", OPENROUTER_DEFAULT_MODEL="a/b")  # type: ignore[call-arg]
    assert requested_model(MODEL, keyless) == MODEL
    assert requested_model(None, keyless) == BUILTIN_MODEL
    assert requested_model(None, keyed) == "a/b"


def test_the_builtin_model_name_is_spelled_in_one_module() -> None:
    spelled = [
        path.relative_to(PACKAGE).as_posix()
        for folder in ("codegen_tasks", "workers")
        for path in (PACKAGE / folder).rglob("*.py")
        if '"builtin/scaffold"' in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["codegen_tasks/generation/scaffold/__init__.py"]


def test_a_job_and_its_payload_convert_both_ways() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    job = NodeJob(
        "p", "n", "r", MODEL, force_regenerate=True, stream=True, user_id="u",
        mode=GenerationMode.HYBRID, ai_review=True,
    )  # fmt: skip
    request = GenerateServicePayload.model_validate(job.payload({"user_id": "u"}))
    assert NodeJob.of(request, "r", settings) == job
    assert isinstance(NodeJob.of(request, "r", settings).generator, HybridGenerator)


def test_a_recorded_generation_gets_its_generator_back(make_deps: MakeDeps) -> None:
    deps = make_deps()
    run_project(deps, payload(model=None))
    record = deps.history.latest_generation(SHOP_PROJECT_ID, node_id(shop(), "orders"))
    assert record is not None and isinstance(generator_of(record), ScaffoldGenerator)
    hybrid = record.model_copy(update={"model": MODEL, "prompt_version": HYBRID_PROMPT_VERSION})
    assert isinstance(generator_of(hybrid), HybridGenerator)
    full = record.model_copy(update={"model": MODEL})
    assert generator_of(full) == ModelGenerator(MODEL, GenerationMode.FULL)


def test_the_skip_rule_is_the_same_inputs_for_the_same_generator(make_deps: MakeDeps) -> None:
    deps = make_deps()
    run_project(deps, payload(model=None))
    project = parse_graph(shop())
    spec = build_service_spec(project.graph, node_id(shop(), "orders"), project.project.name)
    scaffold = choose_generator(BUILTIN_MODEL, GenerationMode.FULL)
    last = unchanged(deps, SHOP_PROJECT_ID, spec, scaffold)
    assert last is not None and last.inputs_hash == inputs_hash(spec, scaffold)
    for other in (GenerationMode.FULL, GenerationMode.HYBRID):
        assert unchanged(deps, SHOP_PROJECT_ID, spec, choose_generator(MODEL, other)) is None
    renamed = spec.model_copy(update={"description": "changed"})
    assert unchanged(deps, SHOP_PROJECT_ID, renamed, scaffold) is None


def test_a_single_node_request_is_the_same_request_as_a_project_run() -> None:
    request = GenerateServicePayload.model_validate(
        {"projectId": "p", "nodeId": "n", "aiModel": MODEL, "forceRegenerate": True,
         "mode": "hybrid", "aiReview": True, "metadata": {"user_id": "u"}}
    )  # fmt: skip
    project = request.project_payload()
    assert project.only_nodes == ["n"] and project.metadata == request.metadata
    shared = ("ai_model", "force_regenerate", "stream", "mode", "multi_step", "ai_review")
    assert {f: getattr(project, f) for f in shared} == {f: getattr(request, f) for f in shared}


def test_the_estimate_skips_what_the_run_it_describes_would_skip(make_deps: MakeDeps) -> None:
    from codegen_tasks.adapters.llm.memory import ScriptedLLM
    from codegen_tasks.cli.estimate import estimate_run
    from codegen_tasks.testing.echo import scaffold_answer

    deps = make_deps(ScriptedLLM(lambda r: scaffold_answer(r.model_dump())))
    run_project(deps, payload(model=MODEL))
    project = parse_graph(shop())
    full = estimate_run(deps, project, MODEL, False, GenerationMode.FULL)
    hybrid = estimate_run(deps, project, MODEL, False, GenerationMode.HYBRID)
    assert all(s.skipped for s in full.services)
    assert not any(s.skipped for s in hybrid.services)  # another generator: all regenerated
