"""One tsc run over bundles written side by side (a folder each), and its output parsed.

Each bundle's sanitised options, include/exclude and `paths` are written into one config at
the work root with every path prefixed by the bundle's folder; emit goes to a throw-away
outDir. Code is compiled, never run or installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codegen_tasks.checks.children import run_in_group
from codegen_tasks.checks.static.tsconfig import SanitisedConfig, selected
from codegen_tasks.domain.files import GeneratedFile, check_path
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.errors import UnsafePathError

CONFIG_NAME = "tsconfig.codegen.json"
OUT_FOLDER = "out"
OUR_OPTIONS: dict[str, object] = {
    "skipLibCheck": True,
    "noEmitOnError": False,
    "newLine": "lf",
    "rootDir": ".",
    "outDir": f"../{OUT_FOLDER}",
}
_DIAGNOSTIC_RE = re.compile(
    r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): (?:error|warning) (?P<code>TS\d+): (?P<msg>.*)$"
)
_GLOBAL_RE = re.compile(r"^(?:error|warning) (?P<code>TS\d+): (?P<msg>.*)$")
FOLDER_RE = re.compile(r"b\d+/")  # a bundle's folder in the work directory
_SEMANTIC_RE = re.compile(r"TS[27]\d{3}:")  # type-checker codes; parse errors are TS1xxx etc.

Diagnostic = tuple[str | None, int, str]


@dataclass(frozen=True)
class Unit:
    """A bundle to compile under the given options (its own, or our strict policy)."""

    files: list[GeneratedFile]
    config: SanitisedConfig
    options: dict[str, object]

    def sources(self) -> list[str]:
        return [f.path for f in self.files if selected(self.config, f.path)]


@dataclass
class Compiled:
    """A unit's findings: refused files, compiler diagnostics, sources left without output."""

    pre: list[Finding] = field(default_factory=list)
    diagnostics: list[Finding] = field(default_factory=list)
    missing: list[Finding] = field(default_factory=list)
    javascript: dict[str, str] = field(default_factory=dict)  # emitted: `src/main.js` → text

    @property
    def errors(self) -> list[Finding]:
        return [*self.pre, *self.diagnostics]


def finding(
    message: str,
    file: str | None,
    line: int = 0,
    level: ValidationLevel = ValidationLevel.TYPESCRIPT,
) -> Finding:
    return Finding(level=level, message=message, file=file, line=line)


def parse_diagnostics(output: str) -> list[Diagnostic]:
    """`path(line,col): error TSxxxx: message` lines (continuations joined) → (path, line, text)."""
    found: list[Diagnostic] = []
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


def write_bundle(folder: Path, unit: Unit) -> list[Finding]:
    """Write the bundle's files; unsafe paths and node_modules content are refused."""
    folder.mkdir(parents=True)
    findings: list[Finding] = []
    for file in unit.files:
        try:
            path = check_path(file.path)
        except UnsafePathError as exc:
            findings.append(finding(f"file not compiled: {exc.message}", None))
            continue
        if "node_modules" in path.split("/"):
            findings.append(finding("bundles may not ship node_modules; file ignored", path))
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.content, encoding="utf-8")
    if not unit.sources():
        findings.append(finding("no TypeScript sources to compile", unit.config.source))
    return findings


def _prefixed(folder: str, patterns: list[str]) -> list[str]:
    return [f"{folder}/{p.removeprefix('./')}" for p in patterns]


def write_config(work: Path, units: dict[str, Unit], name: str = CONFIG_NAME) -> None:
    """One config over the units' folders (they share options unless alone in the run)."""
    first = next(iter(units.values()))
    options = {**first.options, **OUR_OPTIONS}
    if len(units) == 1 and isinstance(first.options.get("paths"), dict):
        folder = next(iter(units))
        paths = first.options["paths"]
        assert isinstance(paths, dict)
        options["paths"] = {k: _prefixed(f"./{folder}", list(v)) for k, v in paths.items()}
    config = {
        "compilerOptions": options,
        "include": [p for f, u in units.items() for p in _prefixed(f, u.config.include)],
        "exclude": [p for f, u in units.items() for p in _prefixed(f, u.config.exclude)],
        "files": [p for f, u in units.items() for p in _prefixed(f, u.config.files)],
    }
    if not config["files"]:
        del config["files"]
    (work / name).write_text(json.dumps(config, indent=2), encoding="utf-8")


def run_tsc(
    command: list[str], work: Path, timeout_s: float, configs: Sequence[str] = (CONFIG_NAME,)
) -> str | Finding:
    """tsc's diagnostics output, or a finding when it timed out or crashed. Several configs
    are built in one run (`tsc -b`): separate programs, the typings parsed once."""
    projects = ["-p", configs[0]] if len(configs) == 1 else ["-b", *configs]
    try:
        proc = run_in_group(
            [*command, *projects, "--pretty", "false"], cwd=work, timeout_s=timeout_s
        )
    except subprocess.TimeoutExpired:
        return finding(f"tsc timed out after {timeout_s:g}s", None)
    except OSError as exc:
        return finding(f"tsc could not be started: {exc}", None)
    output = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1, 2) or (proc.returncode and not parse_diagnostics(output)):
        tail = output.strip()[-1500:] or "no output"
        return finding(f"tsc failed (exit {proc.returncode}): {tail}", None)
    return proc.stdout


def is_semantic(text: str) -> bool:
    """A type checker's diagnostic (tsc checks no program with a syntax error in it)."""
    return _SEMANTIC_RE.match(text) is not None


def bundle_findings(diagnostics: list[Diagnostic], folder: str) -> list[Finding]:
    """This bundle's diagnostics with bundle-relative paths; unlocated ones go to every bundle."""
    findings: list[Finding] = []
    for path, line, text in diagnostics:
        if path is None:
            findings.append(finding(text, None, line))
        elif path.startswith(f"{folder}/"):
            findings.append(finding(text, path.removeprefix(f"{folder}/"), line))
        elif not FOLDER_RE.match(path):
            findings.append(finding(f"{text} (in {Path(path).name})", None, line))
    return findings


def missing_output(out: Path, unit: Unit) -> list[Finding]:
    return [
        finding("tsc emitted no JavaScript for this file", path, 0, ValidationLevel.BUILD)
        for path in unit.sources()
        if not (out / path).with_suffix(".js").is_file()
    ]


def emitted(out: Path) -> dict[str, str]:
    """The JavaScript a unit's compile emitted, by bundle-relative path."""
    return {
        path.relative_to(out).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(out.rglob("*.js"))
    }


def link_typings(work: Path, node_modules: Path) -> None:
    os.symlink(node_modules, work / "node_modules", target_is_directory=True)
