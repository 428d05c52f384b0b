"""The embedded default cache: one JSON file per entry under a folder, TTL honoured."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codegen_tasks.adapters.storage.local import write_atomic
from codegen_tasks.errors import CacheError
from codegen_tasks.processes import running


def _name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _read_json(path: Path) -> dict[str, Any] | None:
    """The file's JSON object; None when missing or unreadable as JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _alive(host: object, pid: object) -> bool:
    """Whether a lock holder may still be running (unknown holders are taken as alive)."""
    if host != socket.gethostname() or not isinstance(pid, int):
        return True
    return running(pid)


class FileCache:
    """Safe for several processes on one host: writes are atomic, locks use flock."""

    def __init__(self, directory: str | os.PathLike[str], clock: Callable[[], float] = time.time):
        self.directory = Path(directory)
        self._clock = clock

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / f"{_name(key)}.json"

    @contextmanager
    def _guarded(self, action: str) -> Iterator[None]:
        """An exclusive inter-process section; OSError becomes CacheError."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / ".guard", "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
        except OSError as exc:
            raise CacheError(f"file cache {action} failed: {exc}", action=action) from exc

    def _write(self, path: Path, data: dict[str, Any], action: str) -> None:
        try:
            write_atomic(path, json.dumps(data).encode("utf-8"))
        except OSError as exc:
            raise CacheError(f"file cache {action} failed: {exc}", action=action) from exc

    def get(self, key: str) -> str | None:
        path = self._path("values", key)
        try:
            entry = _read_json(path)
        except OSError as exc:
            raise CacheError(f"file cache get failed: {exc}", action="get") from exc
        if entry is None or entry.get("key") != key or not isinstance(entry.get("value"), str):
            return None
        if float(entry.get("expires_at", 0)) <= self._clock():
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return str(entry["value"])

    def set(self, key: str, value: str, ttl_s: int) -> None:
        entry = {"key": key, "value": value, "expires_at": self._clock() + ttl_s}
        self._write(self._path("values", key), entry, "set")

    def delete(self, key: str) -> None:
        try:
            self._path("values", key).unlink(missing_ok=True)
        except OSError as exc:
            raise CacheError(f"file cache delete failed: {exc}", action="delete") from exc

    def _acquire(self, path: Path, token: str, ttl_s: int) -> bool:
        """Take the lock unless a live holder has it: expired, or held by a process of this
        host that is gone (killed mid-call), it is free."""
        with self._guarded("lock"):
            held = _read_json(path)
            live = held is not None and float(held.get("expires_at", 0)) > self._clock()
            if held is not None and live and _alive(held.get("host"), held.get("pid")):
                return False
            entry = {"token": token, "expires_at": self._clock() + ttl_s}
            entry |= {"host": socket.gethostname(), "pid": os.getpid()}
            self._write(path, entry, "lock")
            return True

    def _release(self, path: Path, token: str) -> None:
        with self._guarded("unlock"):
            held = _read_json(path)
            if held is not None and held.get("token") == token:
                path.unlink(missing_ok=True)

    @contextmanager
    def lock(self, key: str, ttl_s: int) -> Iterator[bool]:
        path = self._path("locks", key)
        token = uuid.uuid4().hex
        acquired = self._acquire(path, token, ttl_s)
        try:
            yield acquired
        finally:
            if acquired:
                self._release(path, token)

    def incr_stat(self, name: str) -> None:
        path = self.directory / "stats.json"
        with self._guarded("incr_stat"):
            counts = _read_json(path) or {}
            counts[name] = int(counts.get(name, 0)) + 1
            self._write(path, counts, "incr_stat")

    def stats(self) -> dict[str, int]:
        with self._guarded("stats"):
            counts = _read_json(self.directory / "stats.json") or {}
        return {str(name): int(count) for name, count in counts.items()}
