"""`noCache` asks the model again and replaces the cached answer; `force` alone keeps
answering from the cache; an unusable cached answer is evicted and asked again."""

from __future__ import annotations

from codegen_tasks.adapters.cache.requests import lookup, store
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.domain.results import RunStatus
from codegen_tasks.pipeline.ask import CallContext, ask
from codegen_tasks.pipeline.generators.model import ask_for_files, completion_request
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.project import start_run
from codegen_tasks.ports.llm import ChatMessage, Completion
from codegen_tasks.testing.echo import scaffold_answer
from tests.contracts_cache import REQUEST
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, node_id, shop
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import MODEL, payload


def test_force_is_answered_from_the_cache_no_cache_asks_again(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm)
    run_project(deps, payload())
    forced = run_project(deps, payload(force=True))
    assert forced.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == SHOP_CODE_NODES  # --force: the same questions, cached answers
    fresh = run_project(deps, payload(force=True).model_copy(update={"no_cache": True}))
    assert fresh.status is RunStatus.SUCCEEDED
    assert len(llm.calls) == 2 * SHOP_CODE_NODES
    assert all(not s.cached for s in fresh.services)


def test_no_cache_replaces_the_cached_answer(make_deps: MakeDeps) -> None:
    answers = iter(["first", "second"])

    def answer(request: object) -> Completion:
        return Completion(content=next(answers), finish_reason="stop", model=MODEL)

    deps = make_deps(ScriptedLLM(answer))

    ctx = CallContext(None, "p", "n", None)
    assert ask(deps, REQUEST, ctx).completion.content == "first"
    assert ask(deps, REQUEST, ctx).cached
    assert ask(deps, REQUEST, ctx, fresh=True).completion.content == "second"
    hit = lookup(deps.cache, REQUEST)
    assert hit is not None and hit.content == "second"


def test_an_unusable_cached_answer_is_evicted_and_asked_again(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm)
    start_run(deps, payload(), "run-1")
    job = NodeJob(SHOP_PROJECT_ID, node_id(shop(), "users"), "run-1", MODEL)
    base = [ChatMessage(role="user", content="Service: users")]

    request = completion_request(deps, job, base)
    bad = Completion(content="not a bundle at all", finish_reason="stop", model=MODEL)
    store(deps.cache, request, bad, 3600)
    produced = ask_for_files(deps, job, base)
    assert len(llm.calls) == 1 and llm.calls[0].messages == base  # the same question
    assert produced.files and not produced.cached and produced.attempts == 1
    hit = lookup(deps.cache, request)
    assert hit is not None and hit.content != bad.content  # the good answer replaced it
    assert deps.cache.stats().get("evicted_unusable") == 1
