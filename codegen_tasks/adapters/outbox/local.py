"""The embedded outbox: one file per entry in a folder, written atomically and synced."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from codegen_tasks.adapters.storage.local import write_atomic
from codegen_tasks.errors import CacheError


class FileOutbox:
    """Safe for several processes on one host: each entry is its own file."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def put(self, key: str, value: str) -> None:
        data = json.dumps({"key": key, "value": value}).encode("utf-8")
        try:
            write_atomic(self._path(key), data)
        except OSError as exc:
            raise CacheError(f"outbox put failed: {exc}", action="outbox_put") from exc

    def pending(self) -> dict[str, str]:
        entries: dict[str, str] = {}
        try:
            paths = sorted(self.directory.glob("*.json"))
        except OSError as exc:
            raise CacheError(f"outbox read failed: {exc}", action="outbox_read") from exc
        for path in paths:
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # removed meanwhile, or not one of ours
            if isinstance(entry, dict) and isinstance(entry.get("value"), str):
                entries[str(entry.get("key"))] = entry["value"]
        return entries

    def remove(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise CacheError(f"outbox remove failed: {exc}", action="outbox_remove") from exc
