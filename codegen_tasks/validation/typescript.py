"""The typescript and build levels: the real tsc against real NestJS typings.

One tsc run compiles with a tsconfig WE write (the bundle's own is ignored) and emits into a
throw-away outDir, so both levels come from one invocation. typescript = every diagnostic;
build = what `npm run build` would give: it fails on any TypeScript error (one finding at the
first) or when a source produced no JavaScript. Code is compiled, never run or installed.
`check_many` compiles bundles as one program (a folder each), mapping findings back by folder.
Bundles that could share scope (script files, `declare global`, ambient modules, imports out
of their folder) run alone; and as tsc skips type checking of a whole program once any file
has a syntax error, bundles a failing run left clean are compiled again without the others.
So each bundle gets the verdict `check` would give it.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from codegen_tasks.errors import ToolchainError, UnsafePathError
from codegen_tasks.files import GeneratedFile, check_path
from codegen_tasks.messages import Finding, ValidationLevel
from codegen_tasks.settings import Settings
from codegen_tasks.validation.structural import relative_imports, strip_comments
from codegen_tasks.validation.toolchain import Toolchain

DEFAULT_TIMEOUT_S = 120.0
CONFIG_NAME = "tsconfig.codegen.json"
COMPILER_OPTIONS: dict[str, object] = {
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
    "noEmitOnError": False,
    "newLine": "lf",
    "rootDir": ".",
}
_DIAGNOSTIC_RE = re.compile(
    r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): (?:error|warning) (?P<code>TS\d+): (?P<msg>.*)$"
)
_GLOBAL_RE = re.compile(r"^(?:error|warning) (?P<code>TS\d+): (?P<msg>.*)$")
_SEMANTIC_RE = re.compile(r"TS[27]\d{3}:")  # type-checker codes; parse errors are TS1xxx etc.
_MODULE_RE = re.compile(r"^\s*(?:import|export)\b", re.MULTILINE)
_LEAKY_RE = re.compile(r"\bdeclare\s+(?:global\b|module\s+['\"])")


class TypeScriptReport(BaseModel):
    """Findings of the typescript and build levels; `skipped` says why they were not run."""

    model_config = ConfigDict(frozen=True)

    typescript: list[Finding] = Field(default_factory=list)
    build: list[Finding] = Field(default_factory=list)
    skipped: str | None = None

    @property
    def typescript_passed(self) -> bool | None:
        return None if self.skipped else not self.typescript

    @property
    def build_passed(self) -> bool | None:
        return None if self.skipped else not self.build


def _finding(
    message: str,
    file: str | None,
    line: int = 0,
    level: ValidationLevel = ValidationLevel.TYPESCRIPT,
) -> Finding:
    return Finding(level=level, message=message, file=file, line=line)


def parse_diagnostics(output: str) -> list[tuple[str | None, int, str]]:
    """`path(line,col): error TSxxxx: message` lines (continuations joined) → (path, line, text)."""
    found: list[tuple[str | None, int, str]] = []
    for raw in output.splitlines():
        match = _DIAGNOSTIC_RE.match(raw)
        top = None if match else _GLOBAL_RE.match(raw)
        if match:
            text = f"{match['code']}: {match['msg']} (column {match['col']})"
            found.append((match["file"], int(match["line"]), text))
        elif top:
            found.append((None, 0, f"{top['code']}: {top['msg']}"))
        elif raw.startswith(" ") and raw.strip() and found:
            path, line, text = found[-1]
            found[-1] = (path, line, f"{text} {raw.strip()}")
    return found


def _sources(files: list[GeneratedFile]) -> list[str]:
    return [f.path for f in files if f.path.startswith("src/") and f.path.endswith(".ts")]


def _is_leaky(files: list[GeneratedFile]) -> bool:
    """Could this bundle share scope with others (globals, or imports out of its folder)?"""
    for file in files:
        if not file.path.endswith((".ts", ".tsx")):
            continue
        code = strip_comments(file.content)
        if file.path.startswith("src/") and (_LEAKY_RE.search(code) or not _MODULE_RE.search(code)):
            return True
        for specifier, _ in relative_imports(code):
            joined = posixpath.join(posixpath.dirname(file.path), specifier)
            if posixpath.normpath(joined).startswith(".."):
                return True
    return False


class BundleChecker(Protocol):
    """The typescript and build levels of one bundle, or of several in one compiler run."""

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport: ...

    def check_many(
        self, bundles: dict[str, list[GeneratedFile]]
    ) -> dict[str, TypeScriptReport]: ...


class TypeScriptChecker:
    def __init__(
        self,
        toolchain: Toolchain,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        work_root: Path | None = None,
    ) -> None:
        self.toolchain = toolchain
        self.timeout_s = timeout_s
        self.work_root = work_root

    @classmethod
    def from_settings(cls, settings: Settings) -> TypeScriptChecker:
        return cls(Toolchain.from_settings(settings), work_root=settings.effective_scratch_dir)

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport:
        return self.check_many({"bundle": files})["bundle"]

    def check_many(self, bundles: dict[str, list[GeneratedFile]]) -> dict[str, TypeScriptReport]:
        """Validate several bundles with as few compiler runs as isolation allows."""
        try:
            command = self.toolchain.tsc_command()
        except ToolchainError as exc:
            return {key: TypeScriptReport(skipped=exc.message) for key in bundles}
        shared = {k: v for k, v in bundles.items() if not _is_leaky(v)}
        reports, unsure = self._compile(command, shared) if shared else ({}, set())
        if unsure:
            # tsc skips type checking of the whole program when any file has a syntax
            # error, so bundles such a run left clean are checked again without the others.
            reports.update(self._compile(command, {k: shared[k] for k in unsure})[0])
        for key, files in bundles.items():
            if key not in shared:
                reports.update(self._compile(command, {key: files})[0])
        return {key: reports[key] for key in bundles}

    def _compile(
        self, command: list[str], bundles: dict[str, list[GeneratedFile]]
    ) -> tuple[dict[str, TypeScriptReport], set[str]]:
        """One tsc run: the reports, and the clean bundles a syntax error elsewhere may hide."""
        with tempfile.TemporaryDirectory(prefix="codegen-tsc-", dir=self.work_root) as tmp:
            work = Path(tmp) / "work"
            folders = {key: f"b{i}" for i, key in enumerate(bundles)}
            pre = {key: _write_bundle(work / folders[key], bundles[key]) for key in bundles}
            os.symlink(self.toolchain.node_modules, work / "node_modules", target_is_directory=True)
            compiled = [k for k in bundles if _sources(bundles[k])]
            if not compiled:
                return {k: _report(pre[k], [], []) for k in bundles}, set()
            _write_config(work, [folders[k] for k in compiled])
            ran = _run_tsc(command, work, self.timeout_s)
            if isinstance(ran, Finding):
                return {k: _report(pre[k], [ran], []) for k in bundles}, set()
            diagnostics = parse_diagnostics(ran)
            found = {key: _bundle_findings(diagnostics, folders[key]) for key in bundles}
            out = Path(tmp) / "out"
            reports = {
                key: _report(pre[key], found[key], _missing_output(out / folders[key], files))
                for key, files in bundles.items()
            }
            if all(_SEMANTIC_RE.match(text) for _, _, text in diagnostics):
                return reports, set()
            return reports, {key for key in bundles if not found[key]}


def _write_bundle(folder: Path, files: list[GeneratedFile]) -> list[Finding]:
    """Write the bundle's files; unsafe paths and node_modules content are refused."""
    folder.mkdir(parents=True)
    findings: list[Finding] = []
    for file in files:
        try:
            path = check_path(file.path)
        except UnsafePathError as exc:
            findings.append(_finding(f"file not compiled: {exc.message}", None))
            continue
        if "node_modules" in path.split("/"):
            findings.append(_finding("bundles may not ship node_modules; file ignored", path))
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.content, encoding="utf-8")
    if not _sources(files):
        findings.append(_finding("no TypeScript sources under src/", None))
    return findings


def _write_config(work: Path, folders: list[str]) -> None:
    config = {
        "compilerOptions": {**COMPILER_OPTIONS, "outDir": "../out"},
        "include": [f"{folder}/src/**/*.ts" for folder in folders],
    }
    (work / CONFIG_NAME).write_text(json.dumps(config, indent=2), encoding="utf-8")


def _run_tsc(command: list[str], work: Path, timeout_s: float) -> str | Finding:
    """tsc's diagnostics output, or a finding when it timed out or crashed."""
    try:
        proc = subprocess.run(
            [*command, "-p", CONFIG_NAME, "--pretty", "false"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _finding(f"tsc timed out after {timeout_s:g}s", None)
    except OSError as exc:
        return _finding(f"tsc could not be started: {exc}", None)
    output = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1, 2) or (proc.returncode and not parse_diagnostics(output)):
        tail = output.strip()[-1500:] or "no output"
        return _finding(f"tsc failed (exit {proc.returncode}): {tail}", None)
    return proc.stdout


def _bundle_findings(diagnostics: list[tuple[str | None, int, str]], folder: str) -> list[Finding]:
    """This bundle's diagnostics with bundle-relative paths; unlocated ones go to every bundle."""
    findings: list[Finding] = []
    for path, line, text in diagnostics:
        if path is None:
            findings.append(_finding(text, None, line))
        elif path.startswith(f"{folder}/"):
            findings.append(_finding(text, path.removeprefix(f"{folder}/"), line))
        elif not re.match(r"b\d+/", path):
            findings.append(_finding(f"{text} (in {Path(path).name})", None, line))
    return findings


def _missing_output(out: Path, files: list[GeneratedFile]) -> list[Finding]:
    return [
        _finding("tsc emitted no JavaScript for this file", path, 0, ValidationLevel.BUILD)
        for path in _sources(files)
        if not path.endswith(".d.ts") and not (out / path).with_suffix(".js").is_file()
    ]


def _report(
    pre: list[Finding], typescript: list[Finding], missing: list[Finding]
) -> TypeScriptReport:
    errors = [*pre, *typescript]
    if not errors:
        return TypeScriptReport(typescript=[], build=missing)
    first = errors[0]
    summary = f"build fails: {len(errors)} TypeScript error(s); first: {first.message}"
    build = [_finding(summary, first.file, first.line, ValidationLevel.BUILD), *missing]
    return TypeScriptReport(typescript=errors, build=build)
