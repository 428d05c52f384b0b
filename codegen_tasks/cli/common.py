"""What every command shares: settings, ports, where output goes, JSON output, error exits.

Conventions: data (tables, listings, results) goes to stdout through `stdout`, or as one JSON
object with `--json`; progress, notes and errors go to stderr through `console`. Bad input
is a clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from codegen_tasks.errors import CodegenError, GraphError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.settings import get_settings

# Not a terminal: never wrap at 80 columns (ids and paths stay whole in files and pipes).
WIDE = 1000
console = Console(stderr=True, width=None if sys.stderr.isatty() else WIDE)
stdout = Console(width=None if sys.stdout.isatty() else WIDE)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object for machines.")
PROJECT_OPTION = typer.Option(..., "--project", help="Project id.")
NODE_OPTION = typer.Option(None, "--node", help="Only this node (its id or service name).")


def deps() -> Deps:
    return Deps.from_settings(get_settings())


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
