"""A cache that never fails its caller: an outage turns into misses and no-ops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from codegen_tasks.errors import CacheError
from codegen_tasks.ports.cache import Cache

log = logging.getLogger(__name__)

T = TypeVar("T")


class DegradingCache:
    """Wraps a cache; on CacheError warns once per outage and skips the inner cache for
    `cooldown_s`, then tries it again so a restarted Redis is picked up."""

    def __init__(
        self,
        inner: Cache,
        *,
        cooldown_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._down_until: float | None = None
        self._mutex = threading.Lock()

    @property
    def degraded(self) -> bool:
        return self._down_until is not None

    def _skipping(self) -> bool:
        with self._mutex:
            return self._down_until is not None and self._clock() < self._down_until

    def _failed(self, exc: CacheError) -> None:
        with self._mutex:
            first = self._down_until is None
            self._down_until = self._clock() + self.cooldown_s
        if first:
            log.warning("cache unavailable, continuing uncached: %s", exc.message)

    def _recovered(self) -> None:
        with self._mutex:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            log.info("cache reachable again")

    def _try(self, operation: Callable[[], T], fallback: T) -> T:
        if self._skipping():
            return fallback
        try:
            result = operation()
        except CacheError as exc:
            self._failed(exc)
            return fallback
        self._recovered()
        return result

    def get(self, key: str) -> str | None:
        return self._try(lambda: self.inner.get(key), None)

    def set(self, key: str, value: str, ttl_s: int) -> None:
        self._try(lambda: self.inner.set(key, value, ttl_s), None)

    def delete(self, key: str) -> None:
        self._try(lambda: self.inner.delete(key), None)

    def incr_stat(self, name: str) -> None:
        self._try(lambda: self.inner.incr_stat(name), None)

    def stats(self) -> dict[str, int]:
        return self._try(self.inner.stats, {})

    @contextmanager
    def lock(self, key: str, ttl_s: int) -> Iterator[bool]:
        """Without a reachable cache there is no single-flight: the caller proceeds (True)."""
        if self._skipping():
            yield True
            return
        inner = self.inner.lock(key, ttl_s)
        try:
            acquired = inner.__enter__()
        except CacheError as exc:
            self._failed(exc)
            yield True
            return
        self._recovered()
        try:
            yield acquired
        finally:
            try:
                inner.__exit__(None, None, None)
            except CacheError as exc:
                self._failed(exc)
