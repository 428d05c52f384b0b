"""The prompt/response cache: Redis when configured, else a local folder; never fatal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codegen_tasks.adapters.cache.degrading import DegradingCache
from codegen_tasks.adapters.cache.local import FileCache
from codegen_tasks.adapters.cache.memory import MemoryCache
from codegen_tasks.adapters.cache.requests import (
    CachedAnswer,
    lookup,
    single_flight,
    store,
)
from codegen_tasks.ports.cache import Cache
from codegen_tasks.ports.llm import request_hash
from codegen_tasks.settings import Settings

if TYPE_CHECKING:
    from codegen_tasks.adapters.cache.redis_cache import RedisCache

__all__ = [
    "Cache",
    "CachedAnswer",
    "DegradingCache",
    "FileCache",
    "MemoryCache",
    "RedisCache",
    "cache_from_settings",
    "lookup",
    "request_hash",
    "single_flight",
    "store",
]


def __getattr__(name: str) -> Any:
    """RedisCache on first use: redis takes a while to import and embedded mode never needs it."""
    if name == "RedisCache":
        from codegen_tasks.adapters.cache.redis_cache import RedisCache

        return RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def cache_from_settings(settings: Settings) -> DegradingCache:
    """Redis when CODEGEN_REDIS_URL is set, else a FileCache in the cache dir; always degrading."""
    if not settings.redis_url:
        return DegradingCache(FileCache(settings.cache_dir))
    from codegen_tasks.adapters.cache.redis_cache import RedisCache

    inner: Cache = RedisCache(settings.redis_url)
    return DegradingCache(inner)
