"""One set of pipeline ports per worker process, built on first use."""

from __future__ import annotations

from functools import lru_cache

from codegen_tasks.pipeline.context import Deps
from codegen_tasks.settings import get_settings
from codegen_tasks.wiring import build_deps


@lru_cache(maxsize=1)
def deps() -> Deps:
    return build_deps(get_settings())
