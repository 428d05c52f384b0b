"""Generated files and the rules that keep them inside their bundle."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict

from codegen_tasks.domain.safety import MAX_PATH_LENGTH, path_problem
from codegen_tasks.errors import ResponseFormatError, UnsafePathError


class GeneratedFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    content: str

    # computed once per file (it is frozen): a bundle is hashed, sized and written in turn
    @cached_property
    def data(self) -> bytes:
        return self.content.encode("utf-8")

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def size(self) -> int:
        return len(self.data)

    def at(self, path: str) -> GeneratedFile:
        """This file under `path`: itself when the path is its own (its derived values kept)."""
        return self if path == self.path else GeneratedFile(path=path, content=self.content)

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> GeneratedFile:
        """A copy whose derived values are computed afresh (its content may differ)."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _DERIVED:
            copied.__dict__.pop(name, None)
        return copied


_DERIVED = ("data", "sha256", "size")


def check_path(path: str) -> str:
    """Return the normalised relative POSIX path, or raise UnsafePathError (the rule:
    `safety.path_problem`)."""
    problem = path_problem(path)
    if problem is not None:
        raise UnsafePathError(path[:MAX_PATH_LENGTH], problem)
    return posixpath.normpath(path)


def check_files(
    files: list[GeneratedFile], *, max_files: int, max_file_bytes: int
) -> list[GeneratedFile]:
    """Normalise paths and enforce the bundle limits; the first problem raises."""
    if not files:
        raise ResponseFormatError("the answer contains no files")
    if len(files) > max_files:
        raise ResponseFormatError(f"the answer has {len(files)} files; the limit is {max_files}")
    seen: set[str] = set()
    checked: list[GeneratedFile] = []
    for file in files:
        path = check_path(file.path)
        if path in seen:
            raise ResponseFormatError(f"file {path!r} appears twice")
        if file.size > max_file_bytes:
            raise ResponseFormatError(
                f"file {path!r} is {file.size} bytes; the limit is {max_file_bytes}"
            )
        seen.add(path)
        checked.append(file.at(path))
    return sorted(checked, key=lambda f: f.path)
