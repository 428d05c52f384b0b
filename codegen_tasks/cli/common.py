"""What every command shares: settings, ports, where output goes, JSON output, error exits.

Conventions: data (tables, listings, results) goes to stdout through `stdout`, or as one JSON
object with `--json`; progress, notes and errors go to stderr through `console`. Bad input
is a clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from codegen_tasks.errors import CodegenError, GraphError, LLMConfigError, NotFoundError
from codegen_tasks.settings import Settings, get_settings

if TYPE_CHECKING:
    from codegen_tasks.domain.modes import GenerationMode
    from codegen_tasks.domain.results import RunResult
    from codegen_tasks.pipeline.context import Deps

# Not a terminal: never wrap at 80 columns (ids and paths stay whole in files and pipes).
WIDE = 1000
console = Console(stderr=True, width=None if sys.stderr.isatty() else WIDE)
stdout = Console(width=None if sys.stdout.isatty() else WIDE)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object for machines.")
PROJECT_OPTION = typer.Option(..., "--project", help="Project id.")
NODE_OPTION = typer.Option(None, "--node", help="Only this node (its id or service name).")


def deps(*, create: bool = False) -> Deps:
    """The ports from the settings. Reading commands (create=False) refuse a state directory
    that holds no history rather than silently starting an empty one there."""
    from codegen_tasks.wiring import build_deps

    settings = get_settings()
    sqlite_file = settings.sqlite_file
    if not create and sqlite_file is not None and not sqlite_file.exists():
        raise NotFoundError(
            f"no codegen state in {settings.codegen_home} (nothing generated there yet): run"
            " `codegen generate` first, run from the directory you generated in, or set"
            " CODEGEN_HOME (or CODEGEN_DATABASE_URL)",
            home=str(settings.codegen_home),
        )
    return build_deps(settings)


@contextmanager
def deps_for_code_on_disk() -> Iterator[Deps]:
    """Judging code on disk needs no stored state: the stored one when there is one (an
    export's node is found in it), else a scratch history that lives as long as the command,
    so nothing is created in the state directory."""
    from codegen_tasks.wiring import build_deps

    settings = get_settings()
    sqlite_file = settings.sqlite_file
    if sqlite_file is None or sqlite_file.exists():
        yield build_deps(settings)
        return
    with tempfile.TemporaryDirectory(prefix="codegen-validate-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'history.db'}"
        yield build_deps(settings.model_copy(update={"database_url": url}))


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@contextmanager
def errors_exit(as_json: bool = False) -> Iterator[None]:
    """Our errors become a clear message (or JSON) and exit code 2; nothing else is hidden."""
    try:
        yield
    except GraphError as exc:
        _fail(as_json, exc, "\n".join(f"  - {p}" for p in exc.problems))
    except CodegenError as exc:
        _fail(as_json, exc, "")


def _fail(as_json: bool, exc: CodegenError, details: str) -> None:
    if as_json:
        emit_json({"error": exc.to_dict()})
    else:
        console.print(f"[red]error:[/] {exc.message if not details else 'invalid graph'}")
        if details:
            console.print(details)
    raise typer.Exit(2)


def require_key(settings: Settings, model: str | None, mode: GenerationMode) -> None:
    """A generator that asks a model needs a key: refused before any run is recorded."""
    if model is None or settings.has_llm_key:
        return
    from codegen_tasks.pipeline.generators import choose_generator

    if choose_generator(model, mode).calls_model:
        raise LLMConfigError.missing_key(model)


def next_steps(result: RunResult) -> None:
    """After a run: where it is stored and what to do next (on stderr, beside the table)."""
    settings = get_settings()
    where = settings.codegen_home if settings.sqlite_file is not None else settings.database_url
    project, run = shlex.quote(result.project_id), shlex.quote(result.run_id)
    console.print(
        f"project [bold]{result.project_id}[/], run [bold]{result.run_id}[/] (state: {where})\n"
        f"  export the code:  codegen export --project {project} --out ./generated\n"
        f"  report:           codegen report {run} --html report.html\n"
        f"  this run again:   codegen status {run}"
    )
