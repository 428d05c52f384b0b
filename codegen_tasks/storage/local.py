"""Objects as files under one root folder (`file://` storage URLs)."""

from __future__ import annotations

import builtins
import contextlib
import os
import tempfile
from pathlib import Path

from codegen_tasks.errors import NotFoundError, StorageError
from codegen_tasks.storage.base import check_key, check_prefix

TEMP_PREFIX = ".tmp-"


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temp file in the same folder and `os.replace`
    (permissions `mode` when given, else the temp file's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


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
