"""Unit-test ports: in-memory history, store, cache and a scripted model."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from codegen_tasks.adapters.cache.memory import MemoryCache
from codegen_tasks.adapters.history.migrate import make_engine, upgrade
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.storage.memory import MemoryStore
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.settings import Settings
from codegen_tasks.testing.echo import scaffold_answer

MakeDeps = Callable[..., Deps]


def fake_clock() -> Callable[[], datetime]:
    ticks = itertools.count()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture
def make_deps() -> MakeDeps:
    """Deps over in-memory adapters; `llm` answers like a model that writes the scaffold."""

    def build(llm: ScriptedLLM | None = None, **settings: object) -> Deps:
        engine = make_engine("sqlite://")
        upgrade(engine)
        ids = (f"id{i:06d}" for i in itertools.count())
        model = llm or ScriptedLLM(lambda request: scaffold_answer(request.model_dump()))
        return Deps(
            settings=Settings(_env_file=None, **settings),  # type: ignore[call-arg]
            history=History(engine),
            store=MemoryStore(),
            cache=MemoryCache(),
            llm_factory=lambda: model,
            typescript=None,
            clock=fake_clock(),
            ids=lambda: next(ids),
        )

    return build
