"""Everything a task body needs from the outside world, passed in explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from codegen_tasks.adapters.outbox.memory import MemoryOutbox
from codegen_tasks.checks.contracts.schemas import PayloadSchemas
from codegen_tasks.checks.static.typescript import BundleChecker
from codegen_tasks.ports.cache import Cache
from codegen_tasks.ports.graphs import GraphSource
from codegen_tasks.ports.history import HistoryStore
from codegen_tasks.ports.llm import LLMClient
from codegen_tasks.ports.outbox import Outbox
from codegen_tasks.ports.runtime import RuntimeCheck
from codegen_tasks.ports.storage import ObjectStore
from codegen_tasks.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Deps:
    """The pipeline's ports. The edges build the real adapters (`codegen_tasks.wiring`);
    tests build one from in-memory adapters."""

    settings: Settings
    history: HistoryStore
    store: ObjectStore
    cache: Cache
    llm_factory: Callable[[], LLMClient]
    graphs: GraphSource | None = None  # the Graph Service, when one is configured
    typescript: BundleChecker | None = None
    payload_schemas: PayloadSchemas | None = None  # JSON Schemas of message types (AsyncAPI)
    runtime: RuntimeCheck | None = None
    outbox: Outbox = field(default_factory=MemoryOutbox)  # paid calls the database lacks
    clock: Callable[[], datetime] = utc_now
    ids: Callable[[], str] = new_id
    _llm: LLMClient | None = field(default=None, init=False, repr=False)

    def llm(self) -> LLMClient:
        """The model client, created on first use (it needs a key)."""
        if self._llm is None:
            self._llm = self.llm_factory()
        return self._llm
