"""Service code on disk: the service folders under a directory and their text files."""

from __future__ import annotations

from pathlib import Path

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.errors import NotFoundError, StorageError

PACKAGE_JSON = "package.json"
SKIPPED_FOLDERS = frozenset({"node_modules", "dist", "build", "coverage", ".git"})


def service_folders(root: Path) -> list[Path]:
    """`root` when it is a service (has package.json), else its service subfolders."""
    if not root.is_dir():
        raise NotFoundError(f"{root} is not a directory")
    if (root / PACKAGE_JSON).is_file():
        return [root]
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / PACKAGE_JSON).is_file())
    if not found:
        raise NotFoundError(f"{root} holds no service (no package.json in it or its folders)")
    return found


def read_folder(folder: Path, *, max_files: int, max_file_bytes: int) -> list[GeneratedFile]:
    """The folder's text files (build output, dependencies and dot-folders left out)."""
    files: list[GeneratedFile] = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        parts = relative.parts
        hidden = any(p.startswith(".") for p in parts[:-1])
        if not path.is_file() or hidden or SKIPPED_FOLDERS & set(parts[:-1]):
            continue
        if path.stat().st_size > max_file_bytes:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # binary or unreadable: not code to validate
        files.append(GeneratedFile(path=relative.as_posix(), content=text))
        if len(files) > max_files:
            raise StorageError(f"{folder} has more than {max_files} files", retryable=False)
    return files
