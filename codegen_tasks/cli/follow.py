"""A started run followed to its end: in this process (embedded mode) or on the workers,
its per-node progress shown from history, Ctrl-C closing it, and its result reported."""

from __future__ import annotations

import threading
import time

import typer

from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.cli.common import console, emit_json, next_steps, stdout
from codegen_tasks.cli.display import RunProgress, breaking_table, run_table
from codegen_tasks.domain.results import RunResult, RunStatus
from codegen_tasks.errors import CodegenError, NotFoundError, ResultBackendError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.embedded import EmbeddedRun
from codegen_tasks.pipeline.project import cancel_run, run_result

POLL_S = 0.25
CANCELLED_EXIT_CODE = 130  # the shell's code for a command stopped by Ctrl-C (SIGINT)


class _Submission:
    """A started run: in this process (embedded mode) or on the workers."""

    def __init__(self, d: Deps, client: CodegenClient, payload: GenerateProjectPayload) -> None:
        self._client = client
        self._d, self._run_id = d, payload.run_id or ""
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._embedded: EmbeddedRun | None = None
        self._task_id: str | None = None
        self._backend_down = False
        if client.embedded:
            self._embedded = EmbeddedRun(d, payload)
            self._thread = threading.Thread(target=self._work, daemon=True)
            self._thread.start()
        else:
            self._task_id = client.generate_project(payload)

    def _work(self) -> None:
        assert self._embedded is not None
        try:
            self._embedded.run()
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def raise_if_failed(self) -> None:
        """Raise the run's error if its project task failed. The run itself is followed in
        history: without the result backend (down), only this check is skipped."""
        if self._thread is not None and not self._thread.is_alive() and self._error:
            raise self._error
        if self._task_id is None:
            return
        try:
            failed = self._client.failed(self._task_id)
        except ResultBackendError as exc:
            if not self._backend_down:
                console.print(f"[yellow]note:[/] {exc.message}; following the run in history")
            self._backend_down = True
            return
        self._backend_down = False
        if failed:
            self._client.wait(self._task_id)  # raises the task's error

    def wait(self, seconds: float) -> None:
        """Until the next poll: `seconds`, or less when the embedded run ends first."""
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(seconds)
        else:
            time.sleep(seconds)

    def cancel(self) -> RunResult | None:
        """Ctrl-C: the run is stopped and closed `cancelled` at once. Embedded, its work stops;
        on the workers the project task is revoked if it has not started, and tasks still
        queued for the run do nothing (None: the run was not planned yet)."""
        if self._embedded is not None:
            return self._embedded.cancel()
        if self._task_id is not None:
            self._client.app.control.revoke(self._task_id)
        try:
            return cancel_run(self._d, self._run_id)
        except NotFoundError:
            return None


def follow(
    d: Deps, client: CodegenClient, payload: GenerateProjectPayload, *, show: bool, timeout: float
) -> RunResult:
    """Start the run and poll its per-node state in history until it is closed. On the
    workers, Ctrl-C closes the run as `cancelled` at once (its queued tasks then do nothing)."""
    run_id = payload.run_id or ""
    with client:
        submission = _Submission(d, client, payload)
        deadline = time.monotonic() + timeout
        try:
            with RunProgress(console) if show else _NoProgress() as progress:
                while True:
                    submission.raise_if_failed()
                    if _poll(d, run_id, progress):
                        break
                    if time.monotonic() > deadline:
                        raise CodegenError(f"run {run_id} did not finish in {timeout:.0f}s")
                    submission.wait(POLL_S)
        except KeyboardInterrupt:
            cancelled = submission.cancel()
            if cancelled is None:
                raise
            return cancelled
    return run_result(d, run_id)


def _poll(d: Deps, run_id: str, progress: RunProgress | _NoProgress) -> bool:
    """Show the run's nodes; True once it is closed. A database blip only skips a poll."""
    try:
        if not _started(d, run_id):
            return False
        progress.update(d.history.run_nodes(run_id))
        return d.history.run_info(run_id).finished_at is not None
    except CodegenError as exc:
        if not exc.retryable:
            raise
        return False


def _started(d: Deps, run_id: str) -> bool:
    try:
        d.history.run_info(run_id)
    except CodegenError:
        return False
    return True


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, nodes: object) -> None:
        return None


def report(result: RunResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.wire())
    else:
        stdout.print(run_table(result))
        for cycle in result.cycles:
            console.print(f"[yellow]cycle:[/] {' → '.join([*cycle, cycle[0]])}")
        breaking = breaking_table(result)
        if breaking is not None:
            stdout.print(breaking)
    if result.status is RunStatus.CANCELLED:
        console.print(f"[yellow]run {result.run_id} cancelled[/]")
        raise typer.Exit(CANCELLED_EXIT_CODE)
    if not as_json:
        next_steps(result)
    if result.status is not RunStatus.SUCCEEDED:
        raise typer.Exit(1)
