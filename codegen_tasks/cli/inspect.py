"""Read-side commands: status, validate, contracts, costs."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

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
from codegen_tasks.cli.display import breaking_table, run_table, validation_table
from codegen_tasks.errors import PayloadError
from codegen_tasks.pipeline import latest
from codegen_tasks.pipeline.ondisk import validate_directory
from codegen_tasks.pipeline.project import run_result


def status(run_id: str = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """Show a run and each of its services."""
    with errors_exit(as_json):
        result = run_result(deps(), run_id)
    if as_json:
        emit_json(result.wire())
        return
    console.print(run_table(result))
    breaking = breaking_table(result)
    if breaking is not None:
        console.print(breaking)


def validate(
    project: str | None = typer.Option(None, "--project", help="Project id."),
    node: str | None = NODE_OPTION,
    path: Path | None = typer.Option(
        None,
        "--path",
        help="Validate service code on disk: one service folder, or a folder of them.",
    ),
    service_name: str | None = typer.Option(
        None, "--service-name", help="With --path: only the service of this name (or folder)."
    ),
    ai_review: bool = typer.Option(
        False, "--ai-review", help="Add an AI code review (warnings only) with the run's model."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate the latest bundles of a project, or service code on disk (all levels,
    compiled in one batch)."""
    with errors_exit(as_json):
        if (project is None) == (path is None):
            raise PayloadError("name either --project or --path")
        if path is not None:
            services = validate_directory(deps(), path, service_name)
        else:
            assert project is not None
            services = latest.validate_project(deps(), project, node, ai_review=ai_review)
    if as_json:
        key = {"projectId": project} if project is not None else {"path": str(path)}
        emit_json({**key, "services": services})
    else:
        console.print(validation_table(project or str(path), services))
    if any("error" in s or (s.get("validation") or {}).get("errors") for s in services):
        raise typer.Exit(1)


def contracts(
    project: str = PROJECT_OPTION,
    node: str | None = NODE_OPTION,
    asyncapi: bool = typer.Option(
        False, "--asyncapi", help="Write the project's AsyncAPI 3.0 document instead."
    ),
    out: Path | None = typer.Option(None, "--out", help="With --asyncapi: file to write."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Discover the message contracts of the latest bundles (or export them as AsyncAPI)."""
    if asyncapi:
        _asyncapi(project, out, as_json)
        return
    with errors_exit(as_json):
        found = {
            n.name: contract_set.contracts
            for n, contract_set in latest.discover_project(deps(), project, node)
        }
    if as_json:
        emit_json({name: [c.wire() for c in cs] for name, cs in found.items()})
        return
    table = Table(title=f"contracts of {project}")
    for column in ("service", "pattern", "type", "request", "response", "handler"):
        table.add_column(column)
    for name, cs in found.items():
        for c in cs:
            table.add_row(
                name,
                c.pattern,
                c.type,
                c.request_type or "",
                c.response_type or "",
                c.handler or "",
            )
    console.print(table)


def _asyncapi(project: str, out: Path | None, as_json: bool) -> None:
    with errors_exit(as_json):
        document = latest.asyncapi_latest(deps(), project)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    channels, operations = len(document["channels"]), len(document["operations"])
    if as_json:
        emit_json({"out": str(out), "channels": channels, "operations": operations})
    else:
        console.print(f"AsyncAPI 3.0: {channels} channels, {operations} operations → {out}")


def costs(
    project: str | None = typer.Option(None, "--project"),
    user: str | None = typer.Option(None, "--user"),
    since: datetime | None = typer.Option(None, "--since", help="ISO date or datetime."),
    by: str = typer.Option("project", "--by", help="project, user, model or run."),
    as_json: bool = JSON_OPTION,
) -> None:
    """LLM spend from recorded calls (cached answers cost nothing)."""
    with errors_exit(as_json):
        lines = deps().history.costs(by, project_id=project, user_id=user, since=since)
    if as_json:
        emit_json(
            {
                "by": by,
                "lines": [line.model_dump() for line in lines],
                "totalUsd": sum(line.cost_usd for line in lines),
            }
        )
        return
    table = Table(title=f"LLM spend by {by}")
    for column in (by, "calls", "cached", "prompt tok", "completion tok", "cost $"):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.key,
            str(line.calls),
            str(line.cached_calls),
            str(line.prompt_tokens),
            str(line.completion_tokens),
            f"{line.cost_usd:.4f}",
        )
    console.print(table)
