"""Embedded mode (no broker): a project run in this process, its nodes concurrently.

Each node walks `NODE_STEPS`, the steps the workers' Celery chain runs, in one of a pool of
threads, under the tasks' retry policy. Model calls keep the workers' limits: the process's
CODEGEN_LLM_CONCURRENCY slots and per-model rates are taken inside `ask`, and the pool is as
large as an LLM worker's (2 threads per slot), so a finished node's bookkeeping overlaps
the next call. The compiler checks of nodes that reach validation together share one
compiler run (`BatchingChecker`), the first waiting for the nodes whose model answers are
in (`Arrivals`: the run's model client marks them); each node's runtime sandbox is started
when the node starts (`RuntimeChecker.prepare`), so that its start overlaps the model call
and the compiler.

`cancel()` (Ctrl-C) stops every node before its next step or retry and closes the run
`cancelled` at once, its unfinished nodes failed as cancelled; model calls in flight are
abandoned with their (daemon) threads, so the process can exit without waiting for them
(if it lives on, `run()` closes the run once more when they have stopped).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from codegen_tasks.api import registry
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.checks.static.batching import Arrivals, BatchingChecker
from codegen_tasks.checks.static.extra import ExtraJob
from codegen_tasks.domain.results import RunResult
from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.answered import AnsweredLLM
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.project import (
    RunPlan,
    cancel_run,
    close_run,
    run_result,
    start_run,
    unfinished_jobs,
)
from codegen_tasks.pipeline.retries import with_retries
from codegen_tasks.pipeline.steps import GENERATE, NODE_STEPS, NodeStep
from codegen_tasks.pipeline.typed import typed_job

T = TypeVar("T")
log = logging.getLogger("codegen_tasks.pipeline")
PLAN_WAIT_S = 10.0  # how long cancel() waits for a run being planned to exist
# The first check of a wave waits this long for the nodes finishing with it (one compiler
# run), and at most MAX_GATHER_S for the nodes whose answers are in but not yet checked
GATHER_S = 0.05
MAX_GATHER_S = 0.5


class _Cancelled(Exception):
    """Raised in a node's thread when the run was cancelled during a retry's wait."""


def pool_size(concurrency: int, jobs: int) -> int:
    """Threads for `jobs` nodes: 2 per model-call slot, as an LLM worker runs (the spare
    ones prepare the next calls, and a finished node's bookkeeping, while the slots are busy)."""
    return max(1, min(jobs, 2 * concurrency))


class EmbeddedRun:
    """One project run: `run()` blocks until it is closed; `cancel()` may come from any
    thread. Both return the run's result; the run is closed exactly once."""

    def __init__(self, deps: Deps, payload: GenerateProjectPayload) -> None:
        self.run_id = payload.run_id or deps.ids()
        self._payload = payload
        self._arrivals = Arrivals()
        self._generating = 0  # nodes of the run not yet past their generation
        self._count_lock = threading.Lock()
        self._deps = self._batching(deps) if deps.typescript is not None else deps
        self._cancelled = threading.Event()
        self._planned = threading.Event()  # the run exists (or planning failed)
        self._close_lock = threading.Lock()
        self._result: RunResult | None = None

    def _batching(self, deps: Deps) -> Deps:
        """The run's deps: checks batched, waiting for the nodes on their way."""
        assert deps.typescript is not None
        arrivals = self._arrivals
        batching = BatchingChecker(
            deps.typescript,
            gather_s=GATHER_S,
            arrivals=arrivals,
            max_gather_s=MAX_GATHER_S,
            companion=self._typed_companion,
        )
        return replace(
            deps, typescript=batching, llm_factory=lambda: AnsweredLLM(deps.llm(), arrivals)
        )

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> RunResult:
        try:
            plan = self._retrying(registry.GENERATE_PROJECT.name, self._plan, None)
        finally:
            self._planned.set()
        if not plan.created and self._deps.history.run_info(self.run_id).finished_at:
            return run_result(self._deps, self.run_id)  # closed by an earlier attempt
        jobs = plan.jobs if plan.created else unfinished_jobs(self._deps, plan)
        try:
            self._run_nodes(jobs)
        finally:
            if self._deps.runtime is not None:
                self._deps.runtime.release()
        return self._close(close_run)

    def cancel(self) -> RunResult | None:
        """Stop the run and close it `cancelled`; None when it was never created."""
        self._cancelled.set()
        if not self._planned.wait(PLAN_WAIT_S):
            return None
        try:
            return self._close(cancel_run)
        except CodegenError as exc:  # e.g. the plan failed: there is no run to close
            log.warning("cancelling run %s: %s", self.run_id, exc.message)
            return None

    def _plan(self) -> RunPlan:
        payload = self._payload
        return start_run(self._deps, payload, self.run_id, payload.batch_id)

    def _close(self, closer: Callable[[Deps, str], RunResult]) -> RunResult:
        with self._close_lock:
            # A cancelled run is closed again once its nodes stopped: a step in flight at
            # the cancel may have moved its node on since (cancel_run is idempotent).
            if self._result is None or self.cancelled:
                closer = cancel_run if self.cancelled else closer
                work = self._closer(closer)
                self._result = self._retrying(
                    registry.FINALIZE_RUN.name, work, None, stoppable=False
                )
            return self._result

    def _closer(self, closer: Callable[[Deps, str], RunResult]) -> Callable[[], RunResult]:
        return lambda: closer(self._deps, self.run_id)

    def _run_nodes(self, jobs: list[NodeJob]) -> None:
        todo: queue.SimpleQueue[NodeJob] = queue.SimpleQueue()
        for job in jobs:
            todo.put(job)
        size = pool_size(self._deps.settings.llm_concurrency, len(jobs))
        threads = [
            threading.Thread(target=self._worker, args=(todo,), name=f"codegen-node-{i}")
            for i in range(size)
        ]
        self._generating = len(jobs)
        for thread in threads:
            thread.daemon = True  # a cancelled run does not wait for calls in flight
            thread.start()
        for thread in threads:
            thread.join()

    def _worker(self, todo: queue.SimpleQueue[NodeJob]) -> None:
        while not self.cancelled:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            self._node(job)

    def _node(self, job: NodeJob) -> None:
        """The node's steps in order; a step that fails for good ends the node (closing the
        run fails it, as the chord callback does on the workers). The node's runtime check
        gets its sandbox started now, to boot while the node is generated and compiled."""
        if self._deps.runtime is not None and not self.cancelled:
            self._deps.runtime.prepare()
        try:
            self._steps(job)
        finally:
            self._arrivals.gone()

    def _steps(self, job: NodeJob) -> None:
        for step in NODE_STEPS:
            if self.cancelled:
                return
            done = self._step(step, job)
            if step is GENERATE:
                self._generated(done)
            if not done:
                return

    def _step(self, step: NodeStep, job: NodeJob) -> bool:
        """Run one step; False when the node ends here."""
        try:
            self._retrying(step.task, self._body(step, job), self._give_up(step, job))
        except _Cancelled:
            return False
        except CodegenError as exc:
            log.warning("%s for %s failed: %s", step.task, job.node_id, exc.message)
            return False
        except Exception:  # a bug in one node must not stop the others or hang the run
            log.exception("%s for %s crashed", step.task, job.node_id)
            return False
        return True

    def _generated(self, done: bool) -> None:
        """A node is past its generation: on its way to its check when it went on."""
        if done:
            self._arrivals.answered()
        with self._count_lock:
            self._generating -= 1

    def _typed_companion(self) -> ExtraJob | None:
        """The typed contract check for a batch that holds the run's last checks (every
        node generated, none on its way but the batch's): compiled with it, in one run, and
        the close takes its answer. Otherwise the close compiles the check itself."""
        with self._count_lock:
            generating = self._generating
        if generating or self._arrivals.expected() or self.cancelled:
            return None
        return typed_job(self._deps, self.run_id)

    def _body(self, step: NodeStep, job: NodeJob) -> Callable[[], object]:
        return lambda: step.run(self._deps, job)

    def _give_up(self, step: NodeStep, job: NodeJob) -> Callable[[CodegenError], object] | None:
        give_up = step.give_up
        if give_up is None:
            return None
        return lambda exc: give_up(self._deps, job, exc)

    def _retrying(
        self,
        name: str,
        work: Callable[[], T],
        give_up: Callable[[CodegenError], T] | None,
        *,
        stoppable: bool = True,
    ) -> T:
        """`work` under the tasks' retry policy; a cancel ends a stoppable retry's wait."""

        def wait(countdown: float, _exc: CodegenError) -> None:
            if not stoppable:
                time.sleep(countdown)
            elif self._cancelled.wait(countdown):
                raise _Cancelled

        settings = self._deps.settings
        return with_retries(name, work, give_up, settings=settings, wait=wait)
