"""An in-memory outbox for tests and single-process runs."""

from __future__ import annotations

import threading


class MemoryOutbox:
    def __init__(self) -> None:
        self._entries: dict[str, str] = {}
        self._mutex = threading.Lock()

    def put(self, key: str, value: str) -> None:
        with self._mutex:
            self._entries[key] = value

    def pending(self) -> dict[str, str]:
        with self._mutex:
            return dict(self._entries)

    def remove(self, key: str) -> None:
        with self._mutex:
            self._entries.pop(key, None)
