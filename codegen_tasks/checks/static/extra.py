"""Extra sources compiled beside a batch of bundles: the hook the typed contract check uses.

The extra files live under `extra/` of a work directory holding every bundle in a folder of
its own (`b0/`, `b1/`, ...), and import bundle files as `../<folder>/src/...`. They are the
compiled program's only roots: tsc follows their imports into the bundles under one set of
strict options, against the platform's typings, and only the diagnostics located in the
extra files are returned (the bundles' own verdicts come from `check_many`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codegen_tasks.checks.scratch import scratch_dir
from codegen_tasks.checks.static.tsc import (
    CONFIG_NAME,
    is_semantic,
    link_typings,
    parse_diagnostics,
    run_tsc,
)
from codegen_tasks.domain.files import GeneratedFile, check_path
from codegen_tasks.domain.results import Finding

EXTRA_DIR = "extra"
EXTRA_OPTIONS: dict[str, object] = {
    "strict": True,
    "experimentalDecorators": True,
    "emitDecoratorMetadata": True,
    "module": "commonjs",
    "target": "ES2021",
    "lib": ["ES2021"],
    "skipLibCheck": True,
    "esModuleInterop": True,
    "resolveJsonModule": True,
    "types": ["node"],
    "noEmit": True,
}

# Given each bundle's folder (relative to the work root), the files to add under `extra/`.
ExtraSources = Callable[[Mapping[str, str]], dict[str, str]]
# A check to compile: the bundles its sources import, and its sources
ExtraJob = tuple[Mapping[str, list[GeneratedFile]], ExtraSources]


@dataclass(frozen=True)
class ExtraReport:
    """tsc's diagnostics in the extra sources; `skipped` says why they were not checked."""

    diagnostics: list[tuple[str, int, str]] = field(default_factory=list)
    skipped: str | None = None


def folders_of(bundles: Mapping[str, object]) -> dict[str, str]:
    """Each bundle's folder in the work directory, in the bundles' order."""
    return {key: f"b{i}" for i, key in enumerate(bundles)}


def write_files(folder: Path, files: list[GeneratedFile]) -> None:
    """A bundle's files under `folder` (unsafe paths and node_modules content left out)."""
    for file in files:
        path = check_path(file.path)
        if "node_modules" not in path.split("/"):
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(file.content, encoding="utf-8")


def write_project(
    work: Path,
    node_modules: Path,
    bundles: Mapping[str, list[GeneratedFile]],
    extra: ExtraSources,
) -> list[str]:
    """The bundles, the extra sources and their config in `work`: the extra paths (none
    when there is nothing to check)."""
    folders = folders_of(bundles)
    for key, files in bundles.items():
        write_files(work / folders[key], files)
    paths = []
    for name, content in extra(folders).items():
        path = f"{EXTRA_DIR}/{check_path(name)}"
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(content, encoding="utf-8")
        paths.append(path)
    if paths:
        link_typings(work, node_modules)
        config = {"compilerOptions": EXTRA_OPTIONS, "files": paths}
        (work / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")
    return paths


def extra_report(diagnostics: list[tuple[str | None, int, str]], paths: list[str]) -> ExtraReport:
    """The extra sources' diagnostics of their project's compile."""
    if not all(is_semantic(text) for _, _, text in diagnostics):
        return ExtraReport(skipped="a syntax error kept tsc from type-checking")
    return ExtraReport(
        diagnostics=[(p, n, t) for p, n, t in diagnostics if p is not None and p in paths]
    )


def compile_extra(
    command: list[str],
    node_modules: Path,
    bundles: Mapping[str, list[GeneratedFile]],
    extra: ExtraSources,
    *,
    timeout_s: float,
    work_root: Path | None = None,
) -> ExtraReport:
    """One tsc run rooted at the extra sources; their diagnostics."""
    with scratch_dir("extra", work_root) as work:
        paths = write_project(work, node_modules, bundles, extra)
        if not paths:
            return ExtraReport()
        ran = run_tsc(command, work, timeout_s)
        if isinstance(ran, Finding):
            return ExtraReport(skipped=ran.message)
        return extra_report(parse_diagnostics(ran), paths)
