"""Setup and provider commands: db upgrade, test-connection, models, schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from codegen_tasks.cli.common import JSON_OPTION, console, emit_json, errors_exit
from codegen_tasks.history.migrate import make_engine, upgrade
from codegen_tasks.llm.openrouter import OpenRouterClient
from codegen_tasks.schema import all_schemas
from codegen_tasks.settings import BUILTIN_MODEL, get_settings

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the history database to the latest schema."""
    settings = get_settings()
    with errors_exit():
        engine = make_engine(settings.database_url)
        upgrade(engine, revision)
        engine.dispose()
    console.print(f"database at revision {revision}")


def _client() -> OpenRouterClient:
    settings = get_settings()
    return OpenRouterClient.from_settings(settings)


def test_connection(
    model: str | None = typer.Option(None, "--model", "-m"), as_json: bool = JSON_OPTION
) -> None:
    """Send a tiny request to the configured OpenRouter endpoint."""
    settings = get_settings()
    with errors_exit(as_json):
        chosen = model or settings.openrouter_default_model
        with _client() as client:
            report = client.test_connection(chosen)
    if as_json:
        emit_json(report.model_dump())
    else:
        colour = "green" if report.ok else "red"
        console.print(
            f"[{colour}]{'ok' if report.ok else 'failed'}[/] {report.model} at {report.base_url}"
            f" in {report.latency_ms:.0f} ms {report.detail}"
        )
    if not report.ok:
        raise typer.Exit(1)


def models(
    search: str | None = typer.Option(None, "--search", "-s", help="Filter by id or name."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The provider's models with prices (USD per million tokens)."""
    with errors_exit(as_json), _client() as client:
        found = client.list_models()
    needle = (search or "").lower()
    found = [m for m in found if needle in m.id.lower() or needle in m.name.lower()]
    if as_json:
        emit_json({"builtin": BUILTIN_MODEL, "models": [m.model_dump() for m in found]})
        return
    table = Table(title="models (USD per 1M tokens)")
    for column in ("id", "context", "prompt", "completion"):
        table.add_column(column)
    for m in found:
        table.add_row(
            m.id,
            str(m.context_length or ""),
            "" if m.prompt_usd_per_mtok is None else f"{m.prompt_usd_per_mtok:g}",
            "" if m.completion_usd_per_mtok is None else f"{m.completion_usd_per_mtok:g}",
        )
    console.print(table)


def schema(
    out: Path | None = typer.Option(None, "--out", help="Write one <name>.schema.json per model."),
) -> None:
    """JSON Schema of every task payload and result, for backends in other languages."""
    schemas = all_schemas()
    if out is None:
        emit_json(schemas)
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        (out / f"{name}.schema.json").write_text(json.dumps(body, indent=2) + "\n")
    console.print(f"{len(schemas)} schemas written to {out}")
