"""One request hash joins a generation to its LLM call; identical validations are one."""

from __future__ import annotations

from sqlalchemy import func, select

from codegen_tasks.adapters.history.tables import GenerationRow, LLMCallRow, ValidationRow
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.pipeline import latest
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, node_id, shop
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import payload


def joined(deps: Deps) -> list[tuple[str, str, str]]:
    """(node, call purpose, call outcome) of every generation joined to its LLM call."""
    query = select(GenerationRow.node_id, LLMCallRow.purpose, LLMCallRow.outcome).join(
        LLMCallRow, LLMCallRow.request_hash == GenerationRow.request_hash
    )
    with deps.history.engine.connect() as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(query)]


def test_each_generation_joins_the_call_that_answered_it(make_deps: MakeDeps) -> None:
    deps = make_deps(ScriptedLLM(lambda r: scaffold_answer(r.model_dump())))
    run_project(deps, payload())
    rows = joined(deps)
    assert len(rows) == SHOP_CODE_NODES
    assert {purpose for _, purpose, _ in rows} == {"generate"}
    assert {outcome for _, _, outcome in rows} == {"ok"}


def test_a_repaired_generation_joins_the_repair_call(make_deps: MakeDeps) -> None:
    answers = iter(["no json here"])  # the run's first answer is unusable, then good ones

    def answer(request: CompletionRequest) -> str:
        return next(answers, None) or scaffold_answer(request.model_dump())

    deps = make_deps(ScriptedLLM(answer))
    run_project(deps, payload())
    repaired = select(GenerationRow.node_id).where(GenerationRow.attempts == 2)
    with deps.history.engine.connect() as conn:
        nodes = list(conn.execute(repaired).scalars())
    assert len(nodes) == 1
    assert [(p, o) for node, p, o in joined(deps) if node == nodes[0]] == [("repair", "ok")]


def test_two_identical_validations_of_a_bundle_are_one(make_deps: MakeDeps) -> None:
    deps = make_deps()
    run_project(deps, payload(model=None))
    orders = node_id(shop(), "orders")
    first = latest.validate_latest(deps, SHOP_PROJECT_ID, orders)
    second = latest.validate_latest(deps, SHOP_PROJECT_ID, orders)
    assert first == second
    outside_runs = select(func.count()).where(
        ValidationRow.node_id == orders, ValidationRow.run_id.is_(None)
    )
    with deps.history.engine.connect() as conn:
        assert conn.execute(outside_runs).scalar_one() == 1
