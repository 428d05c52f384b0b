"""Everything a task body needs from the outside world, passed in explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from codegen_tasks.adapters.cache import cache_from_settings
from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.storage import store_from_url
from codegen_tasks.checks.contracts.schemas import PayloadSchemas
from codegen_tasks.checks.runtime import RuntimeChecker
from codegen_tasks.checks.static.typescript import BundleChecker, TypeScriptChecker
from codegen_tasks.errors import LLMConfigError
from codegen_tasks.ports.cache import Cache
from codegen_tasks.ports.llm import LLMClient
from codegen_tasks.ports.storage import ObjectStore
from codegen_tasks.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Deps:
    """The pipeline's ports. Tests build one from in-memory adapters."""

    settings: Settings
    history: History
    store: ObjectStore
    cache: Cache
    llm_factory: Callable[[], LLMClient]
    typescript: BundleChecker | None = None
    payload_schemas: PayloadSchemas | None = None  # JSON Schemas of message types (AsyncAPI)
    runtime: RuntimeChecker | None = None
    clock: Callable[[], datetime] = utc_now
    ids: Callable[[], str] = new_id
    _llm: LLMClient | None = field(default=None, init=False, repr=False)

    def llm(self) -> LLMClient:
        """The model client, created on first use (it needs a key)."""
        if self._llm is None:
            self._llm = self.llm_factory()
        return self._llm

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        from codegen_tasks.adapters.llm.openrouter import OpenRouterClient
        from codegen_tasks.checks.contracts.schemas import TypeScriptJsonSchemas, contract_tools
        from codegen_tasks.checks.static.toolchain import Toolchain

        def llm_factory() -> LLMClient:
            if not settings.has_llm_key:
                raise LLMConfigError.missing_key()
            return OpenRouterClient.from_settings(settings)

        checker = (
            TypeScriptChecker.from_settings(settings) if settings.validate_typescript else None
        )
        schemas = (
            TypeScriptJsonSchemas(
                Toolchain.from_settings(settings), contract_tools(settings.toolchain_dir)
            )
            if settings.validate_typescript
            else None
        )
        return cls(
            settings=settings,
            history=open_history(settings.database_url),
            store=store_from_url(settings.storage_url, settings.s3_endpoint_url),
            cache=cache_from_settings(settings),
            llm_factory=llm_factory,
            typescript=checker,
            payload_schemas=schemas,
            runtime=RuntimeChecker.from_settings(settings)
            if checker is not None and settings.runtime_check
            else None,
        )
