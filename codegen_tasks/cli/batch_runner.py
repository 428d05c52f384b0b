"""The client side of a batch: at most K projects in flight, each a stable run id.

A project whose run finished before (an earlier attempt of the batch) is not redone; one
whose run exists unfinished is submitted again under the same run id and continues.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import RegenerateProjectsPayload
from codegen_tasks.domain.results import RunResult
from codegen_tasks.errors import CodegenError, NotFoundError
from codegen_tasks.pipeline.batch import batch_run, run_payload
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.project import run_result


@dataclass
class ProjectState:
    project_id: str
    run_id: str
    resumed: bool = False
    task_id: str | None = None
    status: str = "pending"  # pending | running | a run status | error
    nodes: int = 0
    done: int = 0
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in ("pending", "running")

    @property
    def label(self) -> str:
        colour = {"succeeded": "green", "failed": "red", "partial": "yellow", "error": "red"}
        colour["cancelled"] = "yellow"
        text = self.status + (" (resumed)" if self.resumed else "")
        return f"[{colour.get(self.status, 'cyan')}]{text}[/]"


class BatchRunner:
    def __init__(
        self,
        d: Deps,
        client: CodegenClient,
        request: RegenerateProjectsPayload,
        batch_id: str,
        project_ids: list[str],
        concurrency: int,
    ) -> None:
        self._d, self._client, self._request = d, client, request
        self.batch_id = batch_id
        self.concurrency = max(1, concurrency)
        runs = [batch_run(d.history, batch_id, p) for p in project_ids]
        self.states = [ProjectState(r.project_id, r.run_id, r.resumed) for r in runs]
        self._pending = deque(self.states)

    @property
    def in_flight(self) -> list[ProjectState]:
        return [s for s in self.states if s.status == "running"]

    @property
    def done(self) -> bool:
        return all(s.finished for s in self.states)

    def step(self) -> None:
        """Refresh the runs in flight, then start pending ones up to the concurrency."""
        for state in self.in_flight:
            self._refresh(state)
        while self._pending and len(self.in_flight) < self.concurrency:
            self._start(self._pending.popleft())

    def _start(self, state: ProjectState) -> None:
        if self._refresh(state):
            return  # finished in an earlier attempt of the batch: not redone
        run = batch_run(self._d.history, self.batch_id, state.project_id)
        payload = run_payload(self._request, self.batch_id, run)
        state.status = "running"
        try:
            state.task_id = self._client.generate_project(payload)
        except CodegenError as exc:
            state.status, state.error = "error", exc.message
            return
        self._refresh(state)

    def _refresh(self, state: ProjectState) -> bool:
        """Update from history; True once the run is finished."""
        try:
            info = self._d.history.run_info(state.run_id)
            nodes = self._d.history.run_nodes(state.run_id)
        except NotFoundError:
            self._check_task(state)
            return state.finished
        state.nodes, state.done = len(nodes), sum(n.status.finished for n in nodes)
        if info.finished_at is not None:
            state.status = info.status
        return state.finished

    def _check_task(self, state: ProjectState) -> None:
        """A run that was never created: its generate_project task may have failed."""
        if state.task_id is None or self._client.embedded:
            return
        if self._client.result(state.task_id).failed():
            try:
                self._client.wait(state.task_id, timeout=1)
            except CodegenError as exc:
                state.status, state.error = "error", exc.message

    def results(self) -> list[tuple[ProjectState, RunResult]]:
        return [(s, run_result(self._d, s.run_id)) for s in self.states if s.status != "error"]
