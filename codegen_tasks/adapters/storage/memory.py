"""An in-memory object store for tests and the embedded single-process mode."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence

from codegen_tasks.errors import NotFoundError
from codegen_tasks.ports.storage import StoredObject, check_key, check_prefix


class MemoryStore:
    """Objects in a dict, guarded by a lock. `content_types` is kept for inspection."""

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        with self._lock:
            self._objects[key] = bytes(data)
            self.content_types[key] = content_type

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        for obj in objects:
            self.put(*obj)

    def get(self, key: str) -> bytes:
        check_key(key)
        with self._lock:
            data = self._objects.get(key)
        if data is None:
            raise NotFoundError(f"object {key!r} not found", key=key)
        return data

    def exists(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            return key in self._objects

    def list(self, prefix: str) -> builtins.list[str]:
        check_prefix(prefix)
        with self._lock:
            return sorted(key for key in self._objects if key.startswith(prefix))

    def uri(self, key: str) -> str:
        return f"memory://{key}"
