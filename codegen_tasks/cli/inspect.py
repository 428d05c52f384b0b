"""Read-side commands: status, validate, contracts, costs."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic.alias_generators import to_camel
from rich.table import Table

from codegen_tasks.cli.common import (
    JSON_OPTION,
    NODE_OPTION,
    PROJECT_OPTION,
    deps,
    deps_for_code_on_disk,
    emit_json,
    errors_exit,
    stdout,
)
from codegen_tasks.errors import PayloadError

if TYPE_CHECKING:
    from codegen_tasks.api.results import FolderValidation, ServiceValidation


def status(run_id: str = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """Show a run and each of its services."""
    from codegen_tasks.cli.display import breaking_table, run_table
    from codegen_tasks.pipeline.project import run_result

    with errors_exit(as_json):
        result = run_result(deps(), run_id)
    if as_json:
        emit_json(result.wire())
        return
    stdout.print(run_table(result))
    breaking = breaking_table(result)
    if breaking is not None:
        stdout.print(breaking)


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
    from codegen_tasks.cli.display import validation_table
    from codegen_tasks.pipeline import latest
    from codegen_tasks.pipeline.ondisk import validate_directory

    services: Sequence[ServiceValidation | FolderValidation]
    with errors_exit(as_json):
        if (project is None) == (path is None):
            raise PayloadError("name either --project or --path")
        if path is not None:
            with deps_for_code_on_disk() as on_disk:
                services = validate_directory(on_disk, path, service_name)
        else:
            assert project is not None
            services = latest.validate_project(deps(), project, node, ai_review=ai_review)
    if as_json:
        key = {"projectId": project} if project is not None else {"path": str(path)}
        emit_json({**key, "services": [s.wire() for s in services]})
    else:
        stdout.print(validation_table(project or str(path), services))
    if any(s.failed for s in services):
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
    from codegen_tasks.pipeline import latest

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
    stdout.print(table)


class CostGrouping(StrEnum):
    PROJECT = "project"
    USER = "user"
    MODEL = "model"
    RUN = "run"


def _asyncapi(project: str, out: Path | None, as_json: bool) -> None:
    from codegen_tasks.pipeline import latest

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
        stdout.print(f"AsyncAPI 3.0: {channels} channels, {operations} operations → {out}")


def costs(
    project: str | None = typer.Option(None, "--project", help="Only this project id."),
    user: str | None = typer.Option(None, "--user", help="Only this user id."),
    since: datetime | None = typer.Option(None, "--since", help="ISO date or datetime."),
    by: CostGrouping = typer.Option(CostGrouping.PROJECT, "--by", help="Group the spend by."),
    as_json: bool = JSON_OPTION,
) -> None:
    """LLM spend from recorded calls (cached answers cost nothing), with a total."""
    with errors_exit(as_json):
        d = deps()
        lines = d.history.costs(by.value, project_id=project, user_id=user, since=since)
        names = {p.id: p.name for p in d.history.projects()} if by is CostGrouping.PROJECT else {}
    total = sum(line.cost_usd for line in lines)
    if as_json:
        emit_json(
            {
                "by": by.value,
                "lines": [
                    {to_camel(k): v for k, v in line.model_dump().items()}
                    | ({"projectName": names.get(line.key)} if names else {})
                    for line in lines
                ],
                "totalUsd": total,
            }
        )
        return
    table = Table(title=f"LLM spend by {by.value}")
    heads = (by.value, *(("name",) if names else ()), "calls", "cached", "prompt tok")
    for column in (*heads, "completion tok", "cost $"):
        table.add_column(column)
    for line in lines:
        numbers = (line.calls, line.cached_calls, line.prompt_tokens, line.completion_tokens)
        named = (names.get(line.key, ""),) if names else ()
        table.add_row(line.key, *named, *map(str, numbers), f"{line.cost_usd:.4f}")
    blank = ("",) if names else ()
    fields = ("calls", "cached_calls", "prompt_tokens", "completion_tokens")
    sums = [sum(getattr(line, f) for line in lines) for f in fields]
    table.add_section()
    table.add_row("total", *blank, *map(str, sums), f"{total:.4f}")
    stdout.print(table)
