"""Multi-step generation: a file plan first, then the files of the plan."""

from __future__ import annotations

import json

import pytest

from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.domain.results import RunStatus
from codegen_tasks.errors import ResponseFormatError, UnsafePathError
from codegen_tasks.generation.plan import PLAN_ASK, parse_plan
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps


def planner(request: CompletionRequest) -> str:
    if PLAN_ASK in request.messages[-1].content:
        files = json.loads(scaffold_answer(request.model_dump()))["files"]
        return json.dumps({"files": [{"path": f["path"], "purpose": "x"} for f in files]})
    assert request.messages[-2].content.startswith("File plan: ")
    return scaffold_answer(request.model_dump())


def test_plan_then_files(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(planner)
    deps = make_deps(llm)
    payload = GenerateProjectPayload(
        project_id=SHOP_PROJECT_ID, graph=shop(), ai_model="openai/gpt-4o", multi_step=True
    )
    result = run_project(deps, payload)
    assert result.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == 2 * SHOP_CODE_NODES
    calls = deps.history.llm_calls(result.run_id)
    assert sorted({c.purpose for c in calls}) == ["generate", "plan"]
    assert all(s.tokens > 0 for s in result.services)


def test_plans_are_checked() -> None:
    with pytest.raises(UnsafePathError):
        parse_plan(json.dumps({"files": [{"path": "../x", "purpose": "escape"}]}))
    with pytest.raises(ResponseFormatError):
        parse_plan(json.dumps({"files": []}))
    with pytest.raises(ResponseFormatError):
        parse_plan("no plan today")
