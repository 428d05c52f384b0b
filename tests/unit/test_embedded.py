"""Embedded mode: a project's nodes run concurrently in this process, within the workers'
limits, through the same steps as the Celery chain; a cancel closes the run `cancelled`."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from codegen_tasks.adapters.cache.memory import MemoryCache
from codegen_tasks.adapters.history.migrate import make_engine, upgrade
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.storage.memory import MemoryStore
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.domain.results import RunStatus, ServiceStatus
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.embedded import EmbeddedRun, pool_size
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.project import CANCELLED
from codegen_tasks.pipeline.steps import NODE_STEPS
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.settings import Settings
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import fake_clock
from workers.tasks import node_chain

MODEL = "anthropic/claude-3.5-sonnet"


def file_deps(tmp_path: Path, llm: ScriptedLLM, **settings: object) -> Deps:
    """In-memory ports but a file database: the run's threads each get a connection."""
    engine = make_engine(f"sqlite:///{tmp_path / 'history.db'}")
    upgrade(engine)
    ids = (f"id{i:06d}" for i in itertools.count())
    return Deps(
        settings=Settings(_env_file=None, **settings),  # type: ignore[call-arg]
        history=History(engine),
        store=MemoryStore(),
        cache=MemoryCache(),
        llm_factory=lambda: llm,
        clock=fake_clock(),
        ids=lambda: next(ids),
    )


def payload(run_id: str) -> GenerateProjectPayload:
    return GenerateProjectPayload(
        project_id=SHOP_PROJECT_ID, graph=shop(), ai_model=MODEL, run_id=run_id
    )


class InFlight:
    """A model answering with the scaffold that counts the calls in flight at once."""

    def __init__(self, gate: threading.Barrier | threading.Event | None = None) -> None:
        self.gate = gate
        self.now = self.peak = 0
        self.lock = threading.Lock()
        self.llm = ScriptedLLM(self.answer)

    def answer(self, request: CompletionRequest) -> str:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            if isinstance(self.gate, threading.Barrier):
                self.gate.wait()  # raises (failing the call) unless all arrive together
            elif isinstance(self.gate, threading.Event):
                self.gate.wait(30)
            else:
                threading.Event().wait(0.05)
            return scaffold_answer(request.model_dump())
        finally:
            with self.lock:
                self.now -= 1


def test_every_node_is_in_flight_at_once(tmp_path: Path) -> None:
    model = InFlight(threading.Barrier(SHOP_CODE_NODES, timeout=30))
    result = EmbeddedRun(file_deps(tmp_path, model.llm), payload("run-all")).run()
    assert result.status is RunStatus.SUCCEEDED
    assert model.peak == SHOP_CODE_NODES
    assert all(s.contracts for s in result.services)


def test_the_llm_concurrency_limit_holds(tmp_path: Path) -> None:
    model = InFlight()
    deps = file_deps(tmp_path, model.llm, CODEGEN_LLM_CONCURRENCY=2)
    result = EmbeddedRun(deps, payload("run-two")).run()
    assert result.status is RunStatus.SUCCEEDED
    assert len(model.llm.calls) == SHOP_CODE_NODES
    assert model.peak <= 2


def test_same_verdicts_as_the_chain_one_node_at_a_time(tmp_path: Path) -> None:
    def answer(request: CompletionRequest) -> str:
        return scaffold_answer(request.model_dump())

    concurrent = EmbeddedRun(file_deps(tmp_path, ScriptedLLM(answer)), payload("run-a")).run()
    (tmp_path / "b").mkdir()
    one_by_one = run_project(file_deps(tmp_path / "b", ScriptedLLM(answer)), payload("run-b"))
    assert concurrent.wire() | {"runId": ""} == one_by_one.wire() | {"runId": ""}


def test_a_cancel_closes_the_run_and_no_node_is_left_running(tmp_path: Path) -> None:
    release = threading.Event()
    model = InFlight(release)
    deps = file_deps(tmp_path, model.llm)
    run = EmbeddedRun(deps, payload("run-stop"))
    runner = threading.Thread(target=run.run)
    runner.start()
    try:
        for _ in range(300):
            if model.peak == SHOP_CODE_NODES:
                break
            threading.Event().wait(0.05)
        cancelled = run.cancel()
        assert cancelled is not None and cancelled.status is RunStatus.CANCELLED
        assert deps.history.run_info("run-stop").status == RunStatus.CANCELLED.value
        assert {s.status for s in cancelled.services} == {ServiceStatus.FAILED}
        assert {s.error for s in cancelled.services} == {CANCELLED}
    finally:
        release.set()  # the calls in flight come back; nothing more is started
        runner.join(30)
    assert not runner.is_alive()
    nodes = deps.history.run_nodes("run-stop")
    assert {n.status for n in nodes} == {ServiceStatus.FAILED}
    assert deps.history.run_info("run-stop").status == RunStatus.CANCELLED.value
    assert len(model.llm.calls) == SHOP_CODE_NODES  # no repair, retry or later step ran


def test_the_pool_is_an_llm_worker_s_size() -> None:
    assert pool_size(16, 48) == 32
    assert pool_size(16, 6) == 6
    assert pool_size(1, 0) == 1


def test_the_celery_chain_runs_the_same_steps() -> None:
    job = NodeJob(project_id="p", node_id="n", run_id="r", model=MODEL)
    chain = node_chain(job, {"user_id": None})
    assert [task.task for task in chain.tasks] == [step.task for step in NODE_STEPS]
    assert [task.args[0] for task in chain.tasks] == [
        step.payload(job, {"user_id": None}) for step in NODE_STEPS
    ]
