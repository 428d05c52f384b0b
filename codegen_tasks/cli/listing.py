"""What is stored: `codegen projects`, `codegen runs`, and `codegen sweep` for runs nobody
will finish."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from codegen_tasks.cli.common import JSON_OPTION, deps, emit_json, errors_exit, stdout

if TYPE_CHECKING:
    from codegen_tasks.domain.records import RunInfo


def projects(as_json: bool = JSON_OPTION) -> None:
    """The stored projects, most recently generated first, with their latest run."""
    with errors_exit(as_json):
        found = deps().history.projects()
    if as_json:
        emit_json({"projects": [p.model_dump(mode="json", by_alias=True) for p in found]})
        return
    table = Table(title="projects")
    for column in ("project id", "name", "runs", "last run", "status", "updated"):
        table.add_column(column)
    for p in found:
        updated = f"{p.updated_at:%Y-%m-%d %H:%M}"
        table.add_row(
            p.id, p.name, str(p.runs), p.last_run_id or "", p.last_run_status or "", updated
        )
    stdout.print(table)


def runs(
    project: str | None = typer.Option(None, "--project", help="Only this project id."),
    limit: int = typer.Option(20, "--limit", min=1, help="At most this many, latest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The latest runs, of every project or of one."""
    with errors_exit(as_json):
        found = deps().history.runs(project, limit)
    if as_json:
        emit_json({"runs": [_run_json(r) for r in found]})
        return
    table = Table(title="runs")
    for column in ("run id", "project", "status", "model", "started", "finished"):
        table.add_column(column)
    for r in found:
        finished = f"{r.finished_at:%Y-%m-%d %H:%M:%S}" if r.finished_at else ""
        started = f"{r.created_at:%Y-%m-%d %H:%M:%S}"
        table.add_row(r.id, r.project_name, r.status, r.model, started, finished)
    stdout.print(table)


def sweep(
    project: str | None = typer.Option(None, "--project", help="Only this project id."),
    stale_after: float | None = typer.Option(
        None,
        "--stale-after",
        min=0,
        help="Seconds without progress (default CODEGEN_RUN_STALE_AFTER_S).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Close as failed the open runs that made no progress for a while (their process died);
    their unfinished nodes are generated and checked again by the next run."""
    from codegen_tasks.pipeline.closing import close_abandoned

    with errors_exit(as_json):
        closed = close_abandoned(deps(), project, stale_after_s=stale_after)
    if as_json:
        emit_json({"closed": closed})
        return
    for run_id in closed:
        stdout.print(f"closed abandoned run {run_id}")
    if not closed:
        stdout.print("no abandoned run")


def _run_json(run: RunInfo) -> dict[str, object]:
    return {
        "runId": run.id,
        "projectId": run.project_id,
        "projectName": run.project_name,
        "status": run.status,
        "model": run.model,
        "batchId": run.batch_id,
        "createdAt": run.created_at.isoformat(),
        "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
    }
