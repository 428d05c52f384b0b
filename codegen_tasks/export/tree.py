"""The export directory on disk: read files without following symlinks, apply merges atomically.

Paths are checked as the bundle store checks them (`check_path`, nothing outside DIR), and no
symlink below DIR is followed, neither a folder on the way nor the file itself. Every check
runs while reading, before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from codegen_tasks.adapters.storage.local import inside, write_atomic
from codegen_tasks.domain.files import check_path
from codegen_tasks.errors import ExportError, StorageError, UnsafePathError
from codegen_tasks.export.merge import FileMerge

DEFAULT_MODE = 0o644


def _refuse(relative: str, reason: str) -> ExportError:
    return ExportError(f"refused {relative!r}: {reason}", path=relative)


def _checked(root: Path, relative: str) -> str:
    try:
        normalised = check_path(relative)
        inside(root, normalised)
    except (UnsafePathError, StorageError) as exc:
        raise _refuse(relative, exc.message) from exc
    return normalised


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ExportError(f"cannot inspect {path}: {exc}", path=str(path)) from exc


def _folders_safe(root: Path, relative: str) -> bool:
    """True when every folder on the way exists as a real folder; False when one is missing;
    a symlink or a file in the way is refused."""
    folder = root
    for part in relative.split("/")[:-1]:
        folder = folder / part
        info = _lstat(folder)
        if info is None:
            return False
        if stat.S_ISLNK(info.st_mode):
            raise _refuse(relative, f"{folder.relative_to(root)} is a symlink; not followed")
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(relative, f"{folder.relative_to(root)} is not a folder")
    return True


def read_file(root: Path, relative: str) -> bytes | None:
    """The file's bytes, or None when absent; symlinks and non-files are refused."""
    relative = _checked(root, relative)
    if not _folders_safe(root, relative):
        return None
    path = root / relative
    info = _lstat(path)
    if info is None:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise _refuse(relative, "is a symlink; not followed")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(relative, "is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc}", path=relative) from exc


def read_files(root: Path, paths: Iterable[str]) -> dict[str, bytes | None]:
    return {path: read_file(root, path) for path in paths}


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return DEFAULT_MODE & ~umask


def _apply_one(root: Path, merge: FileMerge, new_mode: int) -> None:
    relative = _checked(root, merge.change.path)
    _folders_safe(root, relative)
    path = root / relative
    if merge.delete:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    if merge.content is None:
        return
    info = _lstat(path)
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise _refuse(relative, "is a symlink; not followed")
    mode = stat.S_IMODE(info.st_mode) if info is not None else new_mode
    write_atomic(path, merge.content.encode("utf-8"), mode)


def apply_merges(root: Path, merges: Iterable[FileMerge]) -> None:
    """Write or delete each file, each write a temp file renamed over the old one."""
    new_mode = _new_file_mode()
    for merge in merges:
        try:
            _apply_one(root, merge, new_mode)
        except OSError as exc:
            raise ExportError(f"cannot write {merge.change.path}: {exc}") from exc


def write_text(root: Path, relative: str, text: str) -> None:
    """One file written atomically below `root` (the export record)."""
    relative = _checked(root, relative)
    _folders_safe(root, relative)
    try:
        write_atomic(root / relative, text.encode("utf-8"), _new_file_mode())
    except OSError as exc:
        raise ExportError(f"cannot write {relative}: {exc}", path=relative) from exc
