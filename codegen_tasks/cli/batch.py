"""`codegen regenerate`: a resumable, rate-limited batch with a progress bar per project."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer

from codegen_tasks.cli.common import JSON_OPTION, console, deps, emit_json, errors_exit
from codegen_tasks.errors import CodegenError, PayloadError
from codegen_tasks.settings import get_settings

if TYPE_CHECKING:
    from codegen_tasks.cli.batch_runner import BatchRunner, ProjectState

POLL_S = 0.25


def _drive(runner: BatchRunner, timeout: float, show: bool) -> None:
    deadline = time.monotonic() + timeout
    with BatchProgress() if show else _Quiet() as progress:
        while True:
            runner.step()
            progress.update(runner.states)
            if runner.done:
                return
            if time.monotonic() > deadline:
                raise CodegenError(
                    f"batch {runner.batch_id} not done in {timeout:.0f}s; "
                    f"rerun with --batch {runner.batch_id} to resume"
                )
            time.sleep(POLL_S)


def regenerate(
    project: list[str] = typer.Option([], "--project", help="Project id (repeatable)."),
    all_projects: bool = typer.Option(False, "--all", help="Every known project."),
    batch: str | None = typer.Option(
        None, "--batch", help="Resume this batch: finished runs are kept, the rest continued."
    ),
    model: str | None = typer.Option(None, "--model", "-m"),
    force_regenerate: bool = typer.Option(False, "--force", help="Regenerate unchanged nodes too."),
    concurrency: int = typer.Option(4, "--concurrency", "-k", min=1, help="Projects in flight."),
    timeout: float = typer.Option(6 * 3600.0, help="Seconds to wait for the batch."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Regenerate whole projects from their stored graphs as one resumable batch."""
    from codegen_tasks.api.client import CodegenClient
    from codegen_tasks.api.payloads import RegenerateProjectsPayload
    from codegen_tasks.cli.batch_runner import BatchRunner
    from codegen_tasks.pipeline import latest
    from codegen_tasks.pipeline.batch import new_batch_id

    with errors_exit(as_json):
        if not project and not all_projects:
            raise PayloadError("name --project ID (repeatable) or --all")
        request = RegenerateProjectsPayload(
            project_ids=project or None,
            all=all_projects,
            ai_model=model,
            force_regenerate=force_regenerate,
        )
        d = deps()
        batch_id = batch or new_batch_id()
        if not as_json:
            console.print(f"batch [bold]{batch_id}[/] (resume with --batch {batch_id})")
        projects = latest.select_projects(d, request)
        with CodegenClient(get_settings()) as client:
            runner = BatchRunner(d, client, request, batch_id, projects, concurrency)
            _drive(runner, timeout, show=not as_json)
    _report(runner, as_json)


def _report(runner: BatchRunner, as_json: bool) -> None:
    from codegen_tasks.cli.display import run_table
    from codegen_tasks.domain.results import RunStatus

    results = runner.results()
    if as_json:
        emit_json(
            {
                "batchId": runner.batch_id,
                "runs": [r.wire() | {"resumed": s.resumed} for s, r in results],
                "errors": {s.project_id: s.error for s in runner.states if s.error},
            }
        )
    else:
        for _, result in results:
            console.print(run_table(result))
        for state in runner.states:
            if state.error:
                console.print(f"[red]{state.project_id}:[/] {state.error}")
    failed = [r for _, r in results if r.status is not RunStatus.SUCCEEDED]
    if failed or any(s.error for s in runner.states):
        raise typer.Exit(1)


class BatchProgress:
    """One bar per project: finished nodes of its run, and the run's state."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description:<36}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[state]}"),
            console=console,
        )
        self._rows: dict[str, object] = {}

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def update(self, states: list[ProjectState]) -> None:
        for s in states:
            if s.project_id not in self._rows:
                self._rows[s.project_id] = self.progress.add_task(
                    s.project_id, total=None, state=s.label
                )
            task = self._rows[s.project_id]
            self.progress.update(task, total=s.nodes or None, completed=s.done, state=s.label)  # type: ignore[arg-type]


class _Quiet:
    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, states: list[ProjectState]) -> None:
        return None
