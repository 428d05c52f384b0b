"""An in-memory cache for tests and single-process runs."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class MemoryCache:
    """Values and locks in dicts with monotonic-clock expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, tuple[str, float]] = {}
        self._stats: Counter[str] = Counter()
        self._mutex = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._mutex:
            entry = self._values.get(key)
            if entry is None or entry[1] <= self._clock():
                self._values.pop(key, None)
                return None
            return entry[0]

    def set(self, key: str, value: str, ttl_s: int) -> None:
        with self._mutex:
            self._values[key] = (value, self._clock() + ttl_s)

    def delete(self, key: str) -> None:
        with self._mutex:
            self._values.pop(key, None)

    def _acquire(self, key: str, token: str, ttl_s: int) -> bool:
        with self._mutex:
            held = self._locks.get(key)
            if held is not None and held[1] > self._clock():
                return False
            self._locks[key] = (token, self._clock() + ttl_s)
            return True

    def _release(self, key: str, token: str) -> None:
        with self._mutex:
            held = self._locks.get(key)
            if held is not None and held[0] == token:
                del self._locks[key]

    @contextmanager
    def lock(self, key: str, ttl_s: int) -> Iterator[bool]:
        token = uuid.uuid4().hex
        acquired = self._acquire(key, token, ttl_s)
        try:
            yield acquired
        finally:
            if acquired:
                self._release(key, token)

    def incr_stat(self, name: str) -> None:
        with self._mutex:
            self._stats[name] += 1

    def stats(self) -> dict[str, int]:
        with self._mutex:
            return dict(self._stats)
