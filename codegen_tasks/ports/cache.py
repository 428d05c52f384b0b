"""The cache interface the pipeline depends on (Redis, a local folder, memory)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class Cache(Protocol):
    """String values with a TTL, a single-flight lock and hit/miss counters.

    Adapters raise CacheError when the backend is unreachable; DegradingCache hides it.
    """

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl_s: int) -> None: ...

    def delete(self, key: str) -> None: ...

    def lock(self, key: str, ttl_s: int) -> AbstractContextManager[bool]:
        """Yields True when this caller holds the lock (until exit or `ttl_s`), else False."""
        ...

    def incr_stat(self, name: str) -> None: ...

    def stats(self) -> dict[str, int]: ...
