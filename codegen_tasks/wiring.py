"""The composition root: the real adapters behind the pipeline's ports, built from settings.

The edges (Celery workers, the CLI, the embedded client, benches) call `build_deps`; the
pipeline itself only ever sees the ports, so importing it loads no database, Redis or S3
client library.
"""

from __future__ import annotations

from codegen_tasks.adapters.cache import cache_from_settings
from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.outbox import outbox_from_settings
from codegen_tasks.adapters.storage import store_from_url
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.errors import LLMConfigError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.ports.graphs import GraphSource
from codegen_tasks.ports.llm import LLMClient
from codegen_tasks.settings import Settings


def llm_factory(settings: Settings) -> LLMClient:
    """The OpenRouter client (LLMConfigError without a key)."""
    from codegen_tasks.adapters.llm.openrouter import OpenRouterClient

    if not settings.has_llm_key:
        raise LLMConfigError.missing_key()
    return OpenRouterClient.from_settings(settings)


def graph_source(settings: Settings) -> GraphSource | None:
    """The Graph Service when CODEGEN_GRAPH_SERVICE_URL is set, else None (requests is
    imported for it only)."""
    if not settings.graph_service_url:
        return None
    from codegen_tasks.adapters.graphs.http import HttpGraphSource

    return HttpGraphSource.from_settings(settings)


def build_deps(settings: Settings) -> Deps:
    """Every port from the settings: SQL history, object store, cache, model client (on first
    use), Graph Service, and the TypeScript/runtime checkers when enabled."""
    from codegen_tasks.checks.contracts.schemas import TypeScriptJsonSchemas, contract_tools
    from codegen_tasks.checks.runtime import RuntimeChecker
    from codegen_tasks.checks.static.toolchain import Toolchain

    typescript = TypeScriptChecker.from_settings(settings) if settings.validate_typescript else None
    schemas = (
        TypeScriptJsonSchemas(
            Toolchain.from_settings(settings), contract_tools(settings.toolchain_dir)
        )
        if typescript is not None
        else None
    )
    cache = cache_from_settings(settings)
    runtime = (
        RuntimeChecker.from_settings(settings, cache)  # verdicts kept in the cache
        if typescript is not None and settings.runtime_check
        else None
    )
    return Deps(
        settings=settings,
        history=open_history(settings.database_url),
        store=store_from_url(settings.storage_url, settings.s3_endpoint_url),
        cache=cache,
        outbox=outbox_from_settings(settings),
        llm_factory=lambda: llm_factory(settings),
        graphs=graph_source(settings),
        typescript=typescript,
        payload_schemas=schemas,
        runtime=runtime,
    )
