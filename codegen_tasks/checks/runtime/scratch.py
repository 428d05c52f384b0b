"""The scratch copy a runtime check runs: the bundle's files (never its package.json or any
node_modules) and the build level's JavaScript in `app/dist`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.domain.files import GeneratedFile, check_path
from codegen_tasks.errors import UnsafePathError

ENTRY = "dist/main.js"
_NOT_COPIED = ("package.json", "package-lock.json", "tsconfig.json")


def build_scratch(
    scratch: Path, files: list[GeneratedFile], toolchain: Toolchain, javascript: Mapping[str, str]
) -> str | None:
    """Write `scratch/app` (and a node_modules link beside it); a problem, or None."""
    app = scratch / "app"
    app.mkdir(exist_ok=True)
    for file in files:
        try:
            path = check_path(file.path)
        except UnsafePathError:
            continue
        if path in _NOT_COPIED or "node_modules" in path.split("/"):
            continue
        _write(app / path, file.content)
    link = scratch / "node_modules"
    if not link.is_symlink():
        link.symlink_to(toolchain.node_modules, target_is_directory=True)
    for name, code in javascript.items():
        if name.startswith("src/"):
            _write(app / "dist" / name.removeprefix("src/"), code)
    return None if (app / ENTRY).is_file() else f"the build emitted no {ENTRY}"


def _write(target: Path, content: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")
