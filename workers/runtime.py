"""One set of pipeline ports per worker process, built on first use."""

from __future__ import annotations

from functools import lru_cache

from codegen_tasks.pipeline.context import Deps
from codegen_tasks.settings import get_settings


@lru_cache(maxsize=1)
def deps() -> Deps:
    return Deps.from_settings(get_settings())
