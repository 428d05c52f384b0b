"""The repository file of each DATABASE dependency, by the library its node chose."""

from __future__ import annotations

from collections.abc import Callable

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import DependencySpec
from codegen_tasks.generation.scaffold.database import (
    Repository,
    Store,
    database_notes,
    render_memory_repository,
)
from codegen_tasks.generation.scaffold.documents import render_ioredis, render_mongoose
from codegen_tasks.generation.scaffold.drizzle import render_drizzle
from codegen_tasks.generation.scaffold.typeorm import render_typeorm

Renderer = Callable[[Repository, Store, list[str]], GeneratedFile]
RENDERERS: dict[str, Renderer] = {
    "drizzle": render_drizzle,
    "typeorm": render_typeorm,
    "mongoose": render_mongoose,
    "ioredis": render_ioredis,
}


def render_store(dep: DependencySpec | None, repo: Repository) -> GeneratedFile:
    """The repository of `repo`: its ORM's when it has a store, else the in-memory one."""
    if repo.store is None or dep is None:
        return render_memory_repository(repo)
    store = repo.store
    return RENDERERS[store.persistence.orm](repo, store, database_notes(dep, store))
