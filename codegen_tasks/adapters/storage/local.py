"""Objects as files under one root folder (`file://` storage URLs)."""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from codegen_tasks.errors import NotFoundError, StorageError
from codegen_tasks.ports.storage import StoredObject, check_key, check_prefix

TEMP_PREFIX = ".tmp-"


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temp file in the same folder and `os.replace`
    (permissions `mode` when given, else the temp file's 0600)."""
    write_all_atomic([(path, data)], mode)


def write_all_atomic(items: list[tuple[Path, bytes]], mode: int | None = None) -> None:
    """Write every file through a temp file beside it, sync them all at once, then rename
    each into place: all the files are on disk before any is visible under its name."""
    temps: list[str] = []
    try:
        for folder in dict.fromkeys(path.parent for path, _ in items):  # each folder once
            folder.mkdir(parents=True, exist_ok=True)
        for path, data in items:
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
            temps.append(tmp_name)
            if mode is not None:
                os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        _sync(temps)
        for (path, _), tmp_name in zip(items, temps, strict=True):
            os.replace(tmp_name, path)
    except BaseException:
        for tmp_name in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        raise


def _sync(names: list[str]) -> None:
    """Flush the files to disk: one syncfs(2) of their file system on Linux (one flush for
    a whole bundle instead of one per file), else an fsync each."""
    if len(names) > 1 and _SYNCFS is not None:
        fd = os.open(os.path.dirname(names[0]), os.O_RDONLY)
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            os.close(fd)
    for name in names:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _find_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return cast(Callable[[int], int], ctypes.CDLL(None, use_errno=True).syncfs)
    except (OSError, AttributeError):
        return None


_SYNCFS = _find_syncfs()


def inside(root: Path, relative: str) -> Path:
    """`root / relative` resolved; raises StorageError if it lands outside `root`."""
    target = (root / relative).resolve()
    if target != root and not target.is_relative_to(root):
        raise StorageError(
            f"refused {relative!r}: resolves outside {root}", key=relative, retryable=False
        )
    return target


def _os_error(exc: OSError, key: str) -> StorageError:
    retryable = not isinstance(exc, PermissionError | IsADirectoryError | NotADirectoryError)
    return StorageError(f"file store failed on {key!r}: {exc}", key=key, retryable=retryable)


class FileStore:
    """A folder as an object store; writes are atomic and never leave `root`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return inside(self.root, check_key(key))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            write_atomic(path, data)
        except OSError as exc:
            raise _os_error(exc, key) from exc

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        """Every object written, one sync for all of them, then each renamed into place."""
        items = [(self._path(obj.key), obj.data) for obj in objects]
        try:
            write_all_atomic(items)
        except OSError as exc:
            raise _os_error(exc, objects[0].key if objects else "") from exc

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise NotFoundError(f"object {key!r} not found", key=key) from exc
        except OSError as exc:
            raise _os_error(exc, key) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> builtins.list[str]:
        check_prefix(prefix)
        folder = inside(self.root, prefix.rpartition("/")[0])
        if not folder.is_dir():
            return []
        keys: builtins.list[str] = []
        for path in folder.rglob("*"):
            if path.name.startswith(TEMP_PREFIX) or not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                keys.append(key)
        return sorted(keys)

    def uri(self, key: str) -> str:
        return f"file://{self.root.as_posix().rstrip('/')}/{key}"
