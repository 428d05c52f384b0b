"""No answer paid twice: the database down right after the model answered. The answer is
cached and its record waits in the spend outbox; the retried generation is answered from
the cache, and the next database success writes the record once, settling its budget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.outbox import MemoryOutbox
from codegen_tasks.budget.rules import Budget
from codegen_tasks.errors import CacheError, HistoryError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.spend import replay
from codegen_tasks.ports.llm import Completion, CompletionRequest, ModelInfo, Usage
from codegen_tasks.testing.echo import scaffold_answer
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import MODEL, generate_one

PRICE = ModelInfo(id=MODEL, prompt_usd_per_mtok=3.0, completion_usd_per_mtok=15.0)
DOWN = HistoryError("database unavailable: connection refused", retryable=True)


class FlakyHistory(History):
    """A history database that can be taken down: every statement fails while `down`."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.down = False
        self.fail_on_answer = True  # the model's answers take the database down

    @contextmanager
    def _session(self) -> Iterator[Session]:
        if self.down:
            raise DOWN
        with super()._session() as session:
            yield session

    @contextmanager
    def _serialised(self) -> Iterator[Connection]:
        if self.down:
            raise DOWN
        with super()._serialised() as conn:
            yield conn


class UnreachableOutbox(MemoryOutbox):
    def put(self, key: str, value: str) -> None:
        raise CacheError("redis outbox_put failed: connection refused", action="outbox_put")


def database_dies_on_answer(history: FlakyHistory) -> ScriptedLLM:
    """A model whose every answer arrives just as the database goes down."""

    def answer(request: CompletionRequest) -> Completion:
        history.down = history.fail_on_answer
        usage = Usage(prompt_tokens=1000, completion_tokens=2000)
        content = scaffold_answer(request.model_dump())
        return Completion(content=content, finish_reason="stop", model=MODEL, usage=usage)

    return ScriptedLLM(answer, models=[PRICE])


def flaky_deps(make_deps: MakeDeps, **settings: object) -> tuple[FlakyHistory, ScriptedLLM, Deps]:
    deps = make_deps(**settings)
    history = FlakyHistory(deps.history.engine)
    llm = database_dies_on_answer(history)
    deps.history, deps.llm_factory = history, lambda: llm
    return history, llm, deps


def test_a_retried_generation_is_answered_from_the_cache_and_recorded_once(
    make_deps: MakeDeps,
) -> None:
    history, llm, deps = flaky_deps(make_deps)
    with pytest.raises(HistoryError) as failed:
        generate_one(deps, "users")
    assert failed.value.retryable
    assert len(deps.outbox.pending()) == 1
    history.down = False
    record = generate_one(deps, "users")  # the task's retry
    assert record.status.value == "validating"
    assert len(llm.calls) == 1  # paid once
    outcomes = sorted(c.outcome for c in history.llm_calls("run-1"))
    assert outcomes == ["cached", "ok"]  # the paid call replayed, once
    assert deps.outbox.pending() == {}
    assert replay(deps) == 0
    assert len(history.llm_calls("run-1")) == 2


def test_a_replayed_call_settles_its_reservation_and_counts_against_the_budget(
    make_deps: MakeDeps,
) -> None:
    history, _, deps = flaky_deps(make_deps, CODEGEN_BUDGET_USD=10)
    with pytest.raises(HistoryError):
        generate_one(deps, "users")
    history.down = False
    now = deps.clock()
    assert history.reserved(Budget("run", "run-1", 10), now) > 0  # held while kept
    assert replay(deps) == 1
    assert history.reserved(Budget("run", "run-1", 10), now) == 0.0
    cost = (1000 * 3.0 + 2000 * 15.0) / 1e6
    assert history.spent(run_id="run-1") == pytest.approx(cost)
    assert replay(deps) == 0  # idempotent: one row per call
    assert history.spent(run_id="run-1") == pytest.approx(cost)
    assert [c.outcome for c in history.llm_calls("run-1")] == ["ok"]


def test_the_next_database_success_replays_what_waited(make_deps: MakeDeps) -> None:
    history, llm, deps = flaky_deps(make_deps)
    with pytest.raises(HistoryError):
        generate_one(deps, "users")
    history.down = False
    history.fail_on_answer = False  # the next node answers without an outage
    generate_one(deps, "orders", run_id="run-2")
    assert len(llm.calls) == 2
    assert [c.outcome for c in history.llm_calls("run-1")] == ["ok"]
    assert deps.outbox.pending() == {}


def test_without_a_reachable_outbox_the_record_fails_its_caller(make_deps: MakeDeps) -> None:
    history, llm, deps = flaky_deps(make_deps)
    deps.outbox = UnreachableOutbox()
    with pytest.raises(HistoryError):
        generate_one(deps, "users")
    history.down = False
    generate_one(deps, "users")
    assert len(llm.calls) == 1  # the answer was cached first all the same
