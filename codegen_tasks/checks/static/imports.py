"""The platform import rule (structural level, pure).

Every bare import of a TypeScript source must be a node builtin (`node:fs`, `crypto`, ...)
or a package of the dependency platform, and package.json must not pin it to another exact
version: either is an error at the import's line naming the package and the allowed set.
A platform package declared with a range (`^11.0.0`) is accepted: what runs is the pin;
an undeclared one is the dependency rule's error (`validation.dependencies`). Relative
imports are the structural rule's business.
Imports are read through the tree-sitter reader (`codegen_tasks.checks.contracts.imports`); the
structural rule that a bare import is declared at all (`validation.dependencies`) stays
silent where this one already speaks (see `pipeline.check.combine`).
"""

from __future__ import annotations

import json
import re

from codegen_tasks.checks.contracts.imports import file_imports, package_name
from codegen_tasks.checks.contracts.syntax import is_source
from codegen_tasks.checks.static.dependencies import own_file
from codegen_tasks.checks.static.tsconfig import sanitise
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.platform import Platform

PACKAGE_JSON = "package.json"


def declared_dependencies(files: list[GeneratedFile]) -> dict[str, str]:
    """The bundle package.json's `dependencies` (empty when missing or unreadable)."""
    manifest = next((f.content for f in files if f.path == PACKAGE_JSON), None)
    try:
        parsed = json.loads(manifest) if manifest is not None else {}
    except json.JSONDecodeError:
        return {}
    deps = parsed.get("dependencies") if isinstance(parsed, dict) else None
    return {str(k): str(v) for k, v in deps.items()} if isinstance(deps, dict) else {}


EXACT_RE = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


def _problem(package: str, platform: Platform, declared: dict[str, str]) -> str | None:
    """Why importing `package` is an error: outside the platform, or pinned differently.
    (An undeclared package is the dependency rule's finding, not repeated here.)"""
    allowed = platform.importable
    if package not in allowed:
        listing = ", ".join(sorted(allowed))
        return (
            f"'{package}' is not a package of the dependency platform; imports may name a"
            f" node builtin or one of: {listing}"
        )
    version = declared.get(package)
    if version is not None and EXACT_RE.match(version) and version != allowed[package]:
        return (
            f"package.json declares '{package}' {version!r}; the platform pins"
            f' exactly "{allowed[package]}"'
        )
    return None


def platform_import_findings(files: list[GeneratedFile], platform: Platform) -> list[Finding]:
    """One error per offending import, located at its file and line."""
    declared = declared_dependencies(files)
    by_path = {f.path: f.content for f in files}
    paths, names = sanitise(by_path, ()).paths, set(by_path)
    findings: list[Finding] = []
    for file in sorted((f for f in files if is_source(f.path)), key=lambda f: f.path):
        for ref in file_imports(file.path, file.content):
            package = package_name(ref.specifier)
            if package is None or own_file(paths, ref.specifier, names):
                continue  # relative, built-in, or a tsconfig `paths` alias of the bundle
            problem = _problem(package, platform, declared)
            if problem is not None:
                findings.append(
                    Finding(
                        level=ValidationLevel.STRUCTURAL,
                        message=f"import '{ref.specifier}': {problem}",
                        file=file.path,
                        line=ref.line,
                    )
                )
    return findings
