"""Bare imports must name a package the bundle declares (pure).

Every bare specifier of a TypeScript file (side-effect `import 'dotenv/config'` and
`require('x')` included) is a package that package.json lists in dependencies,
devDependencies, peerDependencies or optionalDependencies, unless it is a Node built-in,
the package itself, or one of the tsconfig `paths` aliases (the bundle's own files).
"""

from __future__ import annotations

import json
from collections.abc import Collection

from codegen_tasks.checks.contracts.imports import file_imports, resolve_import
from codegen_tasks.checks.static.tsconfig import sanitise
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel

PACKAGE_JSON = "package.json"
# Folders a declared package generates into node_modules: `.prisma/client` is @prisma/client's.
GENERATED_BY = {".prisma": "@prisma/client"}
SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def declared_packages(package_json: str) -> tuple[str | None, set[str]] | None:
    """The package's own name and every package it declares; None when it is unreadable."""
    try:
        manifest = json.loads(package_json)
    except ValueError:
        return None
    if not isinstance(manifest, dict):
        return None
    declared: set[str] = set()
    for section in SECTIONS:
        value = manifest.get(section)
        if isinstance(value, dict):
            declared.update(str(k) for k in value)
    name = manifest.get("name")
    return (name if isinstance(name, str) else None), declared


def _star(alias: str, specifier: str) -> str | None:
    """What `*` of a `paths` pattern stands for in the specifier; None when it does not match."""
    if "*" not in alias:
        return "" if alias == specifier else None
    prefix, _, suffix = alias.partition("*")
    long_enough = len(specifier) >= len(prefix) + len(suffix)
    if long_enough and specifier.startswith(prefix) and specifier.endswith(suffix):
        return specifier[len(prefix) : len(specifier) - len(suffix)]
    return None


def own_file(paths: dict[str, list[str]], specifier: str, files: set[str]) -> bool:
    """Does a `paths` mapping (bundle-relative targets) resolve the specifier to a bundle file?"""
    for alias, targets in paths.items():
        star = _star(alias, specifier)
        if star is None:
            continue
        for target in targets:
            candidate = target.replace("*", star)
            if resolve_import(PACKAGE_JSON, f"./{candidate.removeprefix('./')}", files):
                return True
    return False


def dependency_findings(
    files: list[GeneratedFile], by_path: dict[str, str], checked: Collection[str] = ()
) -> list[Finding]:
    """An error per bare import of an undeclared package, at the import. A missing or
    unreadable package.json and the `checked` packages (a rule of their own) are not
    reported again."""
    found = declared_packages(by_path[PACKAGE_JSON]) if PACKAGE_JSON in by_path else None
    if found is None:
        return []
    own, declared = found
    declared |= set(checked)
    paths = sanitise(by_path, ()).paths
    findings: list[Finding] = []
    for file in files:
        for item in file_imports(file.path, file.content):
            package = GENERATED_BY.get(item.package or "", item.package)
            if package is None or package in declared or package == own:
                continue
            if own_file(paths, item.specifier, set(by_path)):
                continue
            message = (
                f"import '{item.specifier}' needs the package {package}, "
                "which package.json does not declare"
            )
            findings.append(
                Finding(
                    level=ValidationLevel.STRUCTURAL,
                    message=message,
                    file=file.path,
                    line=item.line,
                )
            )
    return findings
