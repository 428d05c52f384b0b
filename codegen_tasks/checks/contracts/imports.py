"""The one TypeScript import reader: every module specifier a file names, from its syntax tree.

Forms read: `import ... from 'x'`, side-effect `import 'x'`, `import type ...`,
`export ... from 'x'`, `import x = require('x')`, `require('x')` and `import('x')` calls
with a literal argument. A specifier is relative only when it is `.`/`..` or starts with
`./`/`../` (so `.prisma/client` is a bare package); `node:` and Node's built-in modules are
built-ins. Comments and strings never count, as they are not import nodes of the tree.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tree_sitter import Node

from codegen_tasks.checks.contracts.syntax import (
    PARSED_FILES_KEPT,
    SourceFile,
    arguments,
    line_of,
    literal_parts,
    of_type,
    parse_source,
    text,
    walk,
)

ImportKind = Literal["import", "side-effect", "export", "require", "dynamic"]
_IMPORT_NODES = ("import_statement", "export_statement", "call_expression", "import_require_clause")
RESOLVE_SUFFIXES = ("", ".ts", ".tsx", ".d.ts", "/index.ts", "/index.tsx", "/index.d.ts")
BUILTIN_MODULES = frozenset(
    [
        "assert",
        "async_hooks",
        "buffer",
        "child_process",
        "cluster",
        "console",
        "constants",
        "crypto",
        "dgram",
        "diagnostics_channel",
        "dns",
        "domain",
        "events",
        "fs",
        "http",
        "http2",
        "https",
        "inspector",
        "module",
        "net",
        "os",
        "path",
        "perf_hooks",
        "process",
        "punycode",
        "querystring",
        "readline",
        "repl",
        "stream",
        "string_decoder",
        "sys",
        "timers",
        "tls",
        "trace_events",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "wasi",
        "worker_threads",
        "zlib",
    ]
)


@dataclass(frozen=True)
class Import:
    """One module specifier named by a file, where and how."""

    specifier: str
    kind: ImportKind
    line: int
    type_only: bool = False

    @property
    def is_relative(self) -> bool:
        return is_relative(self.specifier)

    @property
    def package(self) -> str | None:
        """The npm package a bare specifier names (`@scope/name` or `name`); else None."""
        return package_name(self.specifier)


def is_relative(specifier: str) -> bool:
    return specifier in (".", "..") or specifier.startswith(("./", "../"))


def is_builtin(specifier: str) -> bool:
    return specifier.startswith("node:") or specifier.split("/", 1)[0] in BUILTIN_MODULES


def package_name(specifier: str) -> str | None:
    """`@nestjs/common/x` → `@nestjs/common`, `lodash/fp` → `lodash`; None when relative,
    absolute, built-in or not a package name at all."""
    if (
        not specifier
        or is_relative(specifier)
        or specifier.startswith("/")
        or is_builtin(specifier)
    ):
        return None
    parts = specifier.split("/")
    if specifier.startswith("@"):
        return "/".join(parts[:2]) if len(parts) >= 2 and parts[1] else None
    return parts[0]


def _literal(node: Node | None) -> str | None:
    """The text of a string literal (a template without substitutions too); else None."""
    parts = literal_parts(node) if node is not None else None
    if parts is None or any(not isinstance(p, str) for p in parts):
        return None
    return "".join(p for p in parts if isinstance(p, str))


def _statement_import(node: Node) -> Import | None:
    source = node.child_by_field_name("source")
    specifier = _literal(source)
    if specifier is None:
        return None
    type_only = any(c.type == "type" for c in node.children)
    if node.type == "export_statement":
        return Import(specifier, "export", line_of(node), type_only)
    has_clause = any(c.type == "import_clause" for c in node.named_children)
    return Import(specifier, "import" if has_clause else "side-effect", line_of(node), type_only)


def _call_import(node: Node) -> Import | None:
    function = node.child_by_field_name("function")
    args = arguments(node)
    if function is None or not args:
        return None
    if function.type == "import":
        kind: ImportKind = "dynamic"
    elif function.type == "identifier" and text(function) == "require":
        kind = "require"
    else:
        return None
    specifier = _literal(args[0])
    return Import(specifier, kind, line_of(node)) if specifier is not None else None


def _require_clause(node: Node) -> Import | None:
    specifier = _literal(next((c for c in node.named_children if c.type == "string"), None))
    return Import(specifier, "require", line_of(node)) if specifier is not None else None


def imports(source: SourceFile) -> list[Import]:
    """Every import of the file, in source order."""
    found: list[Import] = []
    for node in of_type(source.root, *_IMPORT_NODES):
        item: Import | None = None
        if node.type in ("import_statement", "export_statement"):
            item = _statement_import(node)
        elif node.type == "call_expression":
            item = _call_import(node)
        elif node.type == "import_require_clause":
            item = _require_clause(node)
        if item is not None:
            found.append(item)
    return found


def file_imports(path: str, content: str) -> list[Import]:
    """The imports of one TypeScript file given as text (read once per content: the
    structural, dependency, layout and platform checks all ask for them)."""
    return list(_content_imports(content))


@lru_cache(maxsize=PARSED_FILES_KEPT)
def _content_imports(content: str) -> tuple[Import, ...]:
    return tuple(imports(parse_source("", content)))  # an import's fields need no path


def resolve_import(from_file: str, specifier: str, paths: set[str]) -> str | None:
    """The bundle file a relative specifier resolves to (TypeScript's rules), or None."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_file), specifier))
    if target.startswith("../") or target == "..":
        return None
    bases = [target]
    if target.endswith(".js"):
        bases.insert(0, target[:-3])
    for base in bases:
        for suffix in RESOLVE_SUFFIXES:
            if base + suffix in paths and (suffix or base.endswith((".ts", ".json"))):
                return base + suffix
    return None


def declares_globals(source: SourceFile) -> bool:
    """Does the file add to the global scope: a script (no import/export), `declare global`
    or an ambient `declare module 'x'`?"""
    top = source.root.named_children
    if not any(n.type in ("import_statement", "export_statement") for n in top):
        return True
    for node in walk(source.root):
        if node.type != "ambient_declaration":
            continue
        if any(c.type == "global" for c in node.children):
            return True
        module = next((c for c in node.named_children if c.type == "module"), None)
        if module is not None and any(c.type == "string" for c in module.named_children):
            return True
    return False
