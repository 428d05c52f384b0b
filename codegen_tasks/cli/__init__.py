"""The `codegen` command line (typer + rich): the app is in `main`, each command's work in
its own module, imported when that command runs."""

from __future__ import annotations


def run() -> None:
    """The console script (see `main.run`)."""
    from codegen_tasks.cli.main import run as run_main

    run_main()
