"""The `codegen` command line (typer + rich)."""

from __future__ import annotations

import logging

import typer

from codegen_tasks.cli import admin, batch, export, generate, inspect, report

app = typer.Typer(
    name="codegen",
    help="Turn a project graph into validated NestJS microservices through LLMs.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command()(generate.generate)
app.command()(batch.regenerate)
app.command()(inspect.status)
app.command()(export.export)
app.command()(inspect.validate)
app.command()(inspect.contracts)
app.command()(inspect.costs)
app.command()(report.report)
app.command()(admin.models)
app.command("test-connection")(admin.test_connection)
app.command()(admin.schema)
app.add_typer(admin.db_app, name="db")


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )
