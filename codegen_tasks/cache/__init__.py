"""The prompt/response cache: Redis when configured, else a local folder; never fatal."""

from __future__ import annotations

from codegen_tasks.cache.base import Cache
from codegen_tasks.cache.degrading import DegradingCache
from codegen_tasks.cache.local import FileCache
from codegen_tasks.cache.memory import MemoryCache
from codegen_tasks.cache.redis_cache import RedisCache
from codegen_tasks.cache.requests import (
    CachedAnswer,
    lookup,
    request_hash,
    single_flight,
    store,
)
from codegen_tasks.settings import Settings

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


def cache_from_settings(settings: Settings) -> DegradingCache:
    """Redis when CODEGEN_REDIS_URL is set, else a FileCache in the cache dir; always degrading."""
    inner: Cache = (
        RedisCache(settings.redis_url) if settings.redis_url else FileCache(settings.cache_dir)
    )
    return DegradingCache(inner)
