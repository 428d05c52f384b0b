"""The structural level: is the bundle a NestJS microservice as NestJS itself requires? Pure.

Errors (each names the file and, where possible, the 1-based line; 0 = file missing):
- package.json exists, is a JSON object with a non-empty string `name`, and lists
  @nestjs/common, @nestjs/core and @nestjs/microservices in `dependencies`;
- tsconfig.json exists and parses (JSON with comments and trailing commas, as tsc reads it);
- the entry point exists (nest-cli.json, else package.json `main`, else src/main.ts; see
  `layout`) and bootstraps Nest from it or a file it imports:
  `NestFactory.createMicroservice(...)`, or `NestFactory.create(...)` plus
  `connectMicroservice(...)` (a hybrid app);
- the class given to NestFactory is decorated with `@Module()`;
- every relative import resolves to a file of the bundle, and every bare import (side-effect
  ones included) names a package package.json declares (see `dependencies`).
Warnings (conventions, not NestJS rules): a root module that imports no feature module, a
root module file not named `*.module.ts`, a root module that cannot be located statically.
Code is read from the syntax tree, so a commented-out bootstrap does not count.
"""

from __future__ import annotations

import json

from codegen_tasks.checks.contracts.imports import file_imports, resolve_import
from codegen_tasks.checks.static.dependencies import dependency_findings
from codegen_tasks.checks.static.jsonc import key_line, parse_jsonc
from codegen_tasks.checks.static.layout import (
    DEFAULT_ENTRY,
    NEST_CLI,
    Bootstrap,
    Entry,
    entries,
    find_bootstrap,
    root_module,
)
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, LevelFindings, ValidationLevel

PACKAGE_JSON = "package.json"
TSCONFIG_JSON = "tsconfig.json"
REQUIRED_DEPENDENCIES = ("@nestjs/common", "@nestjs/core", "@nestjs/microservices")
TYPESCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")


def _finding(message: str, file: str | None, line: int = 0) -> Finding:
    return Finding(level=ValidationLevel.STRUCTURAL, message=message, file=file, line=line)


def _package_findings(text: str) -> list[Finding]:
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return [_finding(f"package.json is not valid JSON: {exc}", PACKAGE_JSON, line)]
    if not isinstance(manifest, dict):
        return [_finding("package.json must be a JSON object", PACKAGE_JSON, 1)]
    findings: list[Finding] = []
    name = manifest.get("name")
    if not isinstance(name, str) or not name.strip():
        findings.append(
            _finding("package.json has no package name", PACKAGE_JSON, key_line(text, "name"))
        )
    deps = manifest.get("dependencies")
    deps = deps if isinstance(deps, dict) else {}
    for package in REQUIRED_DEPENDENCIES:
        if package not in deps:
            findings.append(
                _finding(
                    f"package.json does not list {package} in dependencies",
                    PACKAGE_JSON,
                    key_line(text, "dependencies"),
                )
            )
    return findings


def _tsconfig_findings(text: str) -> list[Finding]:
    try:
        config = parse_jsonc(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return [_finding(f"tsconfig.json is not valid JSON: {exc}", TSCONFIG_JSON, line)]
    if not isinstance(config, dict):
        return [_finding("tsconfig.json must be a JSON object", TSCONFIG_JSON, 1)]
    options = config.get("compilerOptions", {})
    if not isinstance(options, dict):
        line = key_line(text, "compilerOptions")
        return [_finding("tsconfig.json compilerOptions must be an object", TSCONFIG_JSON, line)]
    return []


def _bootstrap_findings(entry: Entry, bootstrap: Bootstrap | None) -> list[Finding]:
    if bootstrap is None:
        return [
            _finding(
                f"{entry.path} does not bootstrap Nest (NestFactory.createMicroservice, or "
                "NestFactory.create with connectMicroservice)",
                entry.path,
                1,
            )
        ]
    if bootstrap.method == "create" and not bootstrap.connects:
        message = f"{bootstrap.path} creates an HTTP app but never calls connectMicroservice()"
        return [_finding(message, bootstrap.path, bootstrap.line)]
    return []


def _root_module_findings(bootstrap: Bootstrap, by_path: dict[str, str]) -> LevelFindings:
    out = LevelFindings()
    root = root_module(bootstrap, by_path)
    if root is None:
        message = (
            f"the root module {bootstrap.module_expression!r} given to NestFactory cannot be "
            "located in the bundle statically; its structure is not checked"
        )
        out.warnings.append(_finding(message, bootstrap.path, bootstrap.line))
        return out
    if not root.decorated:
        message = f"{root.name}, the root module given to NestFactory, has no @Module() decorator"
        out.errors.append(_finding(message, root.path, root.line))
        return out
    if not root.imports_modules:
        message = f"{root.name} imports no feature module (a convention; NestJS does not need one)"
        out.warnings.append(_finding(message, root.path, root.line))
    if not root.path.endswith(".module.ts"):
        message = f"the root module {root.name} lives in {root.path}, not a *.module.ts file"
        out.warnings.append(_finding(message, root.path, root.line))
    return out


def _entry_findings(by_path: dict[str, str]) -> LevelFindings:
    out = LevelFindings()
    found, looked = entries(by_path)
    if not found:
        message = f"{DEFAULT_ENTRY} is missing (nor does package.json main or {NEST_CLI} name one)"
        out.errors.append(_finding(message, looked[0]))
    for entry in found:
        if entry.path not in by_path:
            out.errors.append(_finding(f"{entry.path} is missing ({entry.origin})", entry.path))
            continue
        bootstrap = find_bootstrap(entry.path, by_path)
        out.errors.extend(_bootstrap_findings(entry, bootstrap))
        if bootstrap is not None:
            roots = _root_module_findings(bootstrap, by_path)
            out.errors.extend(roots.errors)
            out.warnings.extend(roots.warnings)
    return out


def _code_files(files: list[GeneratedFile]) -> list[GeneratedFile]:
    skipped = ("node_modules", "dist")
    return [
        f
        for f in files
        if f.path.endswith(TYPESCRIPT_SUFFIXES) and not set(f.path.split("/")) & set(skipped)
    ]


def _relative_import_findings(files: list[GeneratedFile], paths: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for file in _code_files(files):
        for item in file_imports(file.path, file.content):
            if item.is_relative and resolve_import(file.path, item.specifier, paths) is None:
                message = f"import '{item.specifier}' does not resolve to a file"
                findings.append(_finding(message, file.path, item.line))
    return findings


def structural_check(files: list[GeneratedFile]) -> LevelFindings:
    """Every structural problem of the bundle (errors) and convention it departs from."""
    by_path = {f.path: f.content for f in files}
    out = LevelFindings()
    for path, check in ((PACKAGE_JSON, _package_findings), (TSCONFIG_JSON, _tsconfig_findings)):
        if path in by_path:
            out.errors.extend(check(by_path[path]))
        else:
            out.errors.append(_finding(f"{path} is missing", path))
    layout = _entry_findings(by_path)
    out.errors.extend(layout.errors)
    out.warnings.extend(layout.warnings)
    out.errors.extend(_relative_import_findings(files, set(by_path)))
    out.errors.extend(dependency_findings(_code_files(files), by_path, REQUIRED_DEPENDENCIES))
    return out


def structural_findings(files: list[GeneratedFile]) -> list[Finding]:
    """The structural errors of the bundle; an empty list means the level passed."""
    return structural_check(files).errors
