"""`codegen export`: write the latest bundles to a directory, merging with the user's edits."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from codegen_tasks.cli.common import (
    JSON_OPTION,
    NODE_OPTION,
    PROJECT_OPTION,
    console,
    deps,
    emit_json,
    errors_exit,
)

if TYPE_CHECKING:
    from codegen_tasks.export.exporter import ExportReport

EXIT_CONFLICTS = 3  # merge conflicts were written (or, with --dry-run, would be)


def export(
    project: str = PROJECT_OPTION,
    out: Path = typer.Option(..., "--out", help="Directory to write one folder per service."),
    node: str | None = NODE_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would happen to each file; write nothing."
    ),
    git_branch: str | None = typer.Option(
        None,
        "--git-branch",
        help="DIR is in a git work tree: commit the export on this new branch (from HEAD), "
        "leaving the checked-out branch and the working tree untouched.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Export the latest bundles; an earlier export in DIR is merged per file (three-way).

    Files unchanged since the last export are replaced, your edits are kept or merged,
    overlapping edits get conflict markers and exit code 3; files you added are never touched.
    """
    from codegen_tasks.export.exporter import export_project
    from codegen_tasks.export.git import export_on_branch

    with errors_exit(as_json):
        d = deps()
        if git_branch and not dry_run:
            report = export_on_branch(
                out, git_branch, lambda root: export_project(d, project, root, node=node)
            )
        else:
            report = export_project(d, project, out, node=node, dry_run=dry_run)
    if as_json:
        emit_json(report.wire())
    else:
        _show(report)
    if report.conflicts:
        raise typer.Exit(EXIT_CONFLICTS)


def _show(report: ExportReport) -> None:
    from codegen_tasks.export.merge import FileAction

    verb = "would be" if report.dry_run else "were"
    title = f"export of {report.project_id} → {report.out}"
    table = Table(title=title + (" (dry run)" if report.dry_run else ""))
    for column in ("file", "action", "why"):
        table.add_column(column)
    for service in report.exported:
        for change in service.changes:
            if change.action is not FileAction.UNCHANGED:  # the table lists what changes
                style = "red" if change.action is FileAction.CONFLICT else ""
                action = f"[{style}]{change.action.value}[/]" if style else change.action.value
                table.add_row(change.path, action, change.reason or "")
    console.print(table)
    for service in report.exported:
        counts = ", ".join(f"{n} {a}" for a, n in service.summary.items() if n)
        console.print(f"{service.service_name}: {counts or 'nothing to do'} → {service.path}")
    if report.git is not None:
        where = report.git.commit[:12] if report.git.commit else "HEAD (no changes)"
        console.print(f"committed on branch {report.git.branch}: {where}")
    if report.conflicts:
        console.print(f"[red]{len(report.conflicts)} file(s) {verb} left with conflict markers:[/]")
        for path in report.conflicts:
            console.print(f"  {path}", soft_wrap=True, markup=False)
