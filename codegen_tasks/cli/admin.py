"""Setup and provider commands: db upgrade, test-connection, models, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic.alias_generators import to_camel
from rich.table import Table

from codegen_tasks.cli.common import JSON_OPTION, console, emit_json, errors_exit, stdout
from codegen_tasks.errors import LLMError, PayloadError
from codegen_tasks.settings import get_settings

if TYPE_CHECKING:
    from codegen_tasks.adapters.llm.openrouter import OpenRouterClient

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head"), as_json: bool = JSON_OPTION) -> None:
    """Migrate the history database to the latest schema."""
    from codegen_tasks.adapters.history.migrate import make_engine, upgrade

    settings = get_settings()
    with errors_exit(as_json):
        engine = make_engine(settings.database_url)
        upgrade(engine, revision)
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if as_json:
        emit_json({"revision": revision, "database": where})
    else:
        stdout.print(f"database {where} at revision {revision}")


def _client(*, key_required: bool = True) -> OpenRouterClient:
    from codegen_tasks.adapters.llm.openrouter import OpenRouterClient

    return OpenRouterClient.from_settings(get_settings(), key_required=key_required)


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
        stdout.print(
            f"[{colour}]{'ok' if report.ok else 'failed'}[/] {report.model} at {report.base_url}"
            f" in {report.latency_ms:.0f} ms {report.detail}"
        )
    if not report.ok:
        raise typer.Exit(1)


def models(
    search: str | None = typer.Option(None, "--search", "-s", help="Filter by id or name."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The provider's models with prices (USD per million tokens). The list is public: no
    key needed; when the provider cannot be reached, the built-in price table is shown."""
    from codegen_tasks.budget.prices import catalog_models
    from codegen_tasks.generation.scaffold import BUILTIN_MODEL

    source = "provider"
    with errors_exit(as_json), _client(key_required=False) as client:
        try:
            found = client.list_models()
        except LLMError as exc:
            source, found = "table", catalog_models()
            console.print(f"[yellow]note:[/] {exc.message}; showing the built-in price table")
    needle = (search or "").lower()
    found = [m for m in found if needle in m.id.lower() or needle in m.name.lower()]
    if as_json:
        emit_json(
            {
                "builtin": BUILTIN_MODEL,
                "source": source,
                "models": [{to_camel(k): v for k, v in m.model_dump().items()} for m in found],
            }
        )
        return
    table = Table(title=f"models (USD per 1M tokens, from the {source})")
    for column in ("id", "context", "prompt", "completion"):
        table.add_column(column)
    for m in found:
        table.add_row(
            m.id,
            str(m.context_length or ""),
            "" if m.prompt_usd_per_mtok is None else f"{m.prompt_usd_per_mtok:g}",
            "" if m.completion_usd_per_mtok is None else f"{m.completion_usd_per_mtok:g}",
        )
    stdout.print(table)


def schema(
    out: Path | None = typer.Option(None, "--out", help="Write one <name>.schema.json per model."),
    as_json: bool = JSON_OPTION,
) -> None:
    """JSON Schema of every task payload and result, for backends in other languages (JSON
    on stdout without --out)."""
    from codegen_tasks.api.schema import all_schemas

    schemas = all_schemas()
    if out is None:
        emit_json(schemas)
        return
    with errors_exit(as_json):
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, body in schemas.items():
                (out / f"{name}.schema.json").write_text(json.dumps(body, indent=2) + "\n")
        except OSError as exc:
            raise PayloadError(f"cannot write schemas to {out}: {exc.strerror}") from exc
    if as_json:
        emit_json({"out": str(out), "schemas": sorted(schemas)})
    else:
        stdout.print(f"{len(schemas)} schemas written to {out}")


storage_app = typer.Typer(help="Bundle storage (S3/MinIO bucket or folder).", no_args_is_help=True)


@storage_app.command("init")
def storage_init(
    wait: float = typer.Option(
        60.0, "--wait", min=0, help="Seconds to wait for the storage endpoint to come up."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the bucket (or folder) of CODEGEN_STORAGE_URL; idempotent. Waits for the
    endpoint a bounded time; refused credentials fail at once."""
    from codegen_tasks.adapters.storage import prepare_storage

    settings = get_settings()
    with errors_exit(as_json):
        prepare_storage(settings.storage_url, settings.s3_endpoint_url, wait_s=wait)
    if as_json:
        emit_json({"storage": settings.storage_url, "ready": True})
    else:
        stdout.print(f"storage {settings.storage_url} ready")
