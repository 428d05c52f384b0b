"""`codegen generate` and `codegen regenerate`: enqueue, follow progress, report."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import typer

from codegen_tasks.adapters.graphs.http import HttpGraphSource
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.cli.common import (
    JSON_OPTION,
    console,
    deps,
    emit_json,
    errors_exit,
    next_steps,
    require_key,
    stdout,
)
from codegen_tasks.cli.display import RunProgress, breaking_table, run_table
from codegen_tasks.cli.estimate import estimate_run, show_estimate
from codegen_tasks.domain.modes import GenerationMode, resolve_mode
from codegen_tasks.domain.results import RunResult, RunStatus
from codegen_tasks.errors import CodegenError, NotFoundError, PayloadError, ResultBackendError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.embedded import EmbeddedRun
from codegen_tasks.pipeline.project import cancel_run, run_result
from codegen_tasks.settings import get_settings

POLL_S = 0.25
CANCELLED_EXIT_CODE = 130  # the shell's code for a command stopped by Ctrl-C (SIGINT)


MAX_GRAPH_FILE_BYTES = 16 * 1024 * 1024


def _read_graph(path: Path) -> dict[str, object]:
    try:
        size = path.stat().st_size
        if size > MAX_GRAPH_FILE_BYTES:
            raise PayloadError(
                f"graph {path.name} is {size} bytes; the limit is {MAX_GRAPH_FILE_BYTES}"
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad UTF-8, bad JSON, huge integers
        raise PayloadError(f"cannot read graph {path.name}: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise PayloadError(f"cannot read graph {path.name}: JSON nested too deeply") from exc
    if not isinstance(raw, dict):
        raise PayloadError(f"graph {path.name} is not a JSON object")
    return raw


def _graph_source(path: Path | None, project_id: str | None) -> dict[str, object]:
    """The graph from a file, or from the Graph Service for --project."""
    if (path is None) == (project_id is None):
        raise PayloadError("give a graph file or --project ID (Graph Service), not both")
    if path is not None:
        return _read_graph(path)
    return HttpGraphSource.from_settings(get_settings()).fetch(project_id or "")


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


def generate(
    graph: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, help="Project graph JSON (or --project)."
    ),
    project_id: str | None = typer.Option(
        None,
        "--project",
        help="Fetch the graph from the Graph Service (CODEGEN_GRAPH_SERVICE_URL).",
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="OpenRouter model id."),
    force_regenerate: bool = typer.Option(False, "--force", help="Regenerate unchanged nodes too."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Ask the model again, replacing its cached answers."
    ),
    stream: bool = typer.Option(False, "--stream", help="Stream tokens and show them live."),
    mode: GenerationMode | None = typer.Option(
        None,
        "--mode",
        help="full: the model writes the bundle; multi-step: it plans the files first; hybrid: "
        "the built-in skeleton, the model only the domain files. Default: "
        "CODEGEN_GENERATION_MODE.",
    ),
    multi_step: bool = typer.Option(False, "--multi-step", help="The same as --mode multi-step."),
    ai_review: bool = typer.Option(
        False, "--ai-review", help="Add an AI code review (warnings) and contract descriptions."
    ),
    estimate: bool = typer.Option(
        False, "--estimate", help="Print the expected tokens and cost; generate nothing."
    ),
    timeout: float = typer.Option(3600.0, help="Seconds to wait for the run."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate every SERVICE and GATEWAY node of a project graph."""
    settings = get_settings()
    with errors_exit(as_json):
        raw = _graph_source(graph, project_id)
        project = parse_graph(raw, max_nodes=settings.max_graph_nodes)
        chosen_mode = resolve_mode(mode, multi_step, settings.generation_mode)
        if estimate:
            d = deps(create=True)
            show_estimate(estimate_run(d, project, model, force_regenerate, chosen_mode), as_json)
            return
        payload = GenerateProjectPayload(
            metadata=Metadata(user_id=None),
            project_id=project.project.id,
            graph=raw,
            ai_model=model,
            force_regenerate=force_regenerate,
            no_cache=no_cache,
            stream=stream,
            mode=mode,
            multi_step=multi_step,
            ai_review=ai_review,
            run_id=uuid.uuid4().hex,
        )
        require_key(settings, model, chosen_mode)
        d = deps(create=True)
        result = follow(d, CodegenClient(settings), payload, show=not as_json, timeout=timeout)
    report(result, as_json)
