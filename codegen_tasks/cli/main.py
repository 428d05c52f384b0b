"""The `codegen` app: every command with its help and options (typer + rich)."""

from __future__ import annotations

import logging
from importlib.metadata import version

import typer

from codegen_tasks.cli import admin, batch, export, generate, inspect, listing, report
from codegen_tasks.errors import CodegenError

app = typer.Typer(
    name="codegen",
    help="Turn a project graph into validated NestJS microservices through LLMs.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.command()(generate.generate)
app.command()(batch.regenerate)
app.command()(inspect.status)
app.command()(export.export)
app.command()(inspect.validate)
app.command()(inspect.contracts)
app.command()(inspect.costs)
app.command()(report.report)
app.command()(listing.projects)
app.command()(listing.runs)
app.command()(listing.sweep)
app.command()(admin.models)
app.command("test-connection")(admin.test_connection)
app.command()(admin.schema)
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.storage_app, name="storage")


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"codegen {version('codegen-tasks')}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens."),
    _: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,  # warnings reach the user as results
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )


def run() -> None:
    """The console script: errors raised before a command's own handling (bad settings)
    are one clear message and exit code 2, never a traceback."""
    try:
        app(prog_name="codegen")
    except CodegenError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise SystemExit(2) from exc
