"""`codegen generate` and `codegen regenerate`: enqueue, follow progress, report."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import typer

from codegen_tasks.cli.common import JSON_OPTION, console, deps, emit_json, errors_exit
from codegen_tasks.cli.display import RunProgress, run_table
from codegen_tasks.client import CodegenClient
from codegen_tasks.errors import CodegenError, PayloadError
from codegen_tasks.graph import parse_graph
from codegen_tasks.messages import (
    GenerateProjectPayload,
    Metadata,
    RegenerateProjectsPayload,
    RunResult,
    RunStatus,
)
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.project import run_result
from codegen_tasks.settings import get_settings

POLL_S = 0.25


def _read_graph(path: Path) -> dict[str, object]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"cannot read graph {path.name}: {exc}") from exc
    if not isinstance(raw, dict):
        raise PayloadError(f"graph {path.name} is not a JSON object")
    return raw


class _Submission:
    """A started run: in this process (embedded mode) or on the workers."""

    def __init__(self, client: CodegenClient, payload: GenerateProjectPayload) -> None:
        self._client = client
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._task_id: str | None = None
        if client.embedded:
            self._thread = threading.Thread(target=self._work, args=(payload,), daemon=True)
            self._thread.start()
        else:
            self._task_id = client.generate_project(payload)

    def _work(self, payload: GenerateProjectPayload) -> None:
        try:
            self._client.generate_project(payload)
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def raise_if_failed(self) -> None:
        if self._thread is not None and not self._thread.is_alive() and self._error:
            raise self._error
        if self._task_id is not None and self._client.result(self._task_id).failed():
            self._client.wait(self._task_id)  # raises the task's error


def follow(
    d: Deps, client: CodegenClient, payload: GenerateProjectPayload, *, show: bool, timeout: float
) -> RunResult:
    """Start the run and poll its per-node state in history until it is closed."""
    run_id = payload.run_id or ""
    submission = _Submission(client, payload)
    deadline = time.monotonic() + timeout
    with RunProgress(console) if show else _NoProgress() as progress:
        while True:
            submission.raise_if_failed()
            if _started(d, run_id):
                progress.update(d.history.run_nodes(run_id))
                if d.history.run_info(run_id).finished_at is not None:
                    break
            if time.monotonic() > deadline:
                raise CodegenError(f"run {run_id} did not finish in {timeout:.0f}s")
            time.sleep(POLL_S)
    return run_result(d, run_id)


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
        console.print(run_table(result))
        for cycle in result.cycles:
            console.print(f"[yellow]cycle:[/] {' → '.join([*cycle, cycle[0]])}")
    if result.status is not RunStatus.SUCCEEDED:
        raise typer.Exit(1)


def generate(
    graph: Path = typer.Argument(..., exists=True, dir_okay=False, help="Project graph JSON."),
    model: str | None = typer.Option(None, "--model", "-m", help="OpenRouter model id."),
    force: bool = typer.Option(False, "--force", help="Regenerate unchanged nodes too."),
    stream: bool = typer.Option(False, "--stream", help="Stream tokens and show them live."),
    timeout: float = typer.Option(3600.0, help="Seconds to wait for the run."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate every SERVICE and GATEWAY node of a project graph."""
    settings = get_settings()
    with errors_exit(as_json):
        raw = _read_graph(graph)
        project = parse_graph(raw, max_nodes=settings.max_graph_nodes)
        payload = GenerateProjectPayload(
            metadata=Metadata(user_id=None),
            project_id=project.project.id,
            graph=raw,
            ai_model=model,
            force_regenerate=force,
            stream=stream,
            run_id=uuid.uuid4().hex,
        )
        result = follow(deps(), CodegenClient(settings), payload, show=not as_json, timeout=timeout)
    report(result, as_json)


def _wait_runs(d: Deps, run_ids: list[str], timeout: float) -> list[RunResult]:
    deadline = time.monotonic() + timeout
    while True:
        pending = [
            r for r in run_ids if not _started(d, r) or not d.history.run_info(r).finished_at
        ]
        if not pending:
            return [run_result(d, r) for r in run_ids]
        if time.monotonic() > deadline:
            raise CodegenError(f"{len(pending)} run(s) did not finish in {timeout:.0f}s")
        time.sleep(POLL_S)


def regenerate(
    project: list[str] = typer.Option([], "--project", help="Project id (repeatable)."),
    all_projects: bool = typer.Option(False, "--all", help="Every known project."),
    model: str | None = typer.Option(None, "--model", "-m"),
    force: bool = typer.Option(False, "--force", help="Regenerate unchanged nodes too."),
    timeout: float = typer.Option(6 * 3600.0, help="Seconds to wait for the batch."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Regenerate whole projects from their stored graphs, as one batch."""
    with errors_exit(as_json):
        if not project and not all_projects:
            raise PayloadError("name --project ID (repeatable) or --all")
        payload = RegenerateProjectsPayload(
            project_ids=project or None, all=all_projects, ai_model=model, force_regenerate=force
        )
        client = CodegenClient(get_settings())
        batch = client.wait(client.enqueue("codegen.regenerate_projects", payload))
        runs = _wait_runs(deps(), [r["runId"] for r in batch["runs"]], timeout)
    failed = [r for r in runs if r.status is not RunStatus.SUCCEEDED]
    if as_json:
        emit_json({"batchId": batch["batchId"], "runs": [r.wire() for r in runs]})
    else:
        for run in runs:
            console.print(run_table(run))
    if failed:
        raise typer.Exit(1)
