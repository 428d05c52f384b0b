"""Where a NestJS project starts, as the Nest CLI and Node find it (pure, syntax tree based).

Entry points: nest-cli.json's `sourceRoot` + `entryFile` (every application project of a
CLI monorepo), else package.json `main` mapped from its build folder back to a source
(`dist/main.js` → `src/main.ts`), else `src/main.ts`. The bootstrap is the
`NestFactory.createMicroservice(...)` / `NestFactory.create(...)` call found in the entry
file or a file it imports; the root module is the class that call is given.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from tree_sitter import Node

from codegen_tasks.checks.contracts.handlers import decorator
from codegen_tasks.checks.contracts.imports import file_imports, resolve_import
from codegen_tasks.checks.contracts.syntax import (
    SourceFile,
    arguments,
    line_of,
    of_type,
    parse_source,
    text,
    walk,
)
from codegen_tasks.checks.static.jsonc import parse_jsonc

DEFAULT_ENTRY = "src/main.ts"
NEST_CLI = "nest-cli.json"
PACKAGE_JSON = "package.json"
BUILD_FOLDERS = ("dist/", "build/", "out/", "lib/")
CREATE_METHODS = ("createMicroservice", "create")


@dataclass(frozen=True)
class Entry:
    """An entry file and what named it (`nest-cli.json`, `package.json main`, `default`)."""

    path: str
    origin: str


@dataclass(frozen=True)
class Bootstrap:
    """The NestFactory call of an entry point."""

    path: str
    line: int
    method: str  # createMicroservice | create
    connects: bool  # a hybrid app's connectMicroservice() was found
    module_expression: str | None
    module_node: Node | None


@dataclass(frozen=True)
class RootModule:
    path: str
    name: str
    line: int
    decorated: bool
    imports_modules: bool


def _object(text_: str | None) -> dict[str, object]:
    if text_ is None:
        return {}
    try:
        value = parse_jsonc(text_)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _cli_entry(project: dict[str, object], root: str = "") -> str:
    source_root = project.get("sourceRoot")
    folder = source_root if isinstance(source_root, str) else posixpath.join(root, "src")
    entry_file = project.get("entryFile")
    name = entry_file if isinstance(entry_file, str) and entry_file else "main"
    return posixpath.normpath(posixpath.join(folder.strip("/") or ".", f"{name}.ts"))


def cli_entries(by_path: dict[str, str]) -> list[str]:
    """Entry files nest-cli.json names (one per application of a monorepo)."""
    if NEST_CLI not in by_path:
        return []
    config = _object(by_path[NEST_CLI])
    projects = config.get("projects")
    if isinstance(projects, dict) and projects:
        found = [
            _cli_entry(p, str(p.get("root", "")))
            for p in projects.values()
            if isinstance(p, dict) and p.get("type", "application") == "application"
        ]
        if found:
            return sorted(set(found))
    return [_cli_entry(config)]


def main_entry(by_path: dict[str, str]) -> str | None:
    """The source of package.json `main`, mapped back from the build folder; None if absent."""
    main = _object(by_path.get(PACKAGE_JSON)).get("main")
    if not isinstance(main, str) or not main.strip():
        return None
    target = posixpath.normpath(main.strip().removeprefix("./"))
    stem = target.removesuffix(".js").removesuffix(".ts")
    candidates = [f"{stem}.ts"]
    for folder in BUILD_FOLDERS:
        if stem.startswith(folder):
            rest = stem.removeprefix(folder)
            candidates += [f"{rest}.ts", f"src/{rest}.ts"]
    return next((c for c in candidates if c in by_path), None)


def entries(by_path: dict[str, str]) -> tuple[list[Entry], list[str]]:
    """The project's entry files, and the files looked for when there is none."""
    named = cli_entries(by_path)
    if named:
        return [Entry(p, NEST_CLI) for p in named], named
    main = main_entry(by_path)
    if main is not None:
        return [Entry(main, "package.json main")], [main]
    if DEFAULT_ENTRY in by_path:
        return [Entry(DEFAULT_ENTRY, "default")], [DEFAULT_ENTRY]
    return [], [DEFAULT_ENTRY]


def _closure(entry: str, by_path: dict[str, str]) -> list[str]:
    """The entry file and every bundle file it reaches through relative imports."""
    seen, order, queue = {entry}, [entry], [entry]
    paths = set(by_path)
    while queue:
        current = queue.pop(0)
        for item in file_imports(current, by_path[current]):
            target = resolve_import(current, item.specifier, paths) if item.is_relative else None
            if target and target.endswith(".ts") and target not in seen:
                seen.add(target)
                order.append(target)
                queue.append(target)
    return order


def _factory_call(node: Node) -> str | None:
    function = node.child_by_field_name("function")
    if function is not None and function.type == "await_expression" and function.named_children:
        function = function.named_children[0]  # how tree-sitter reads `await F.m<T>(...)`
    if node.type != "call_expression" or function is None or function.type != "member_expression":
        return None
    method = text(function.child_by_field_name("property"))
    owner = text(function.child_by_field_name("object"))
    return method if owner == "NestFactory" and method in CREATE_METHODS else None


def _connects(source: SourceFile) -> bool:
    for node in of_type(source.root, "call_expression"):
        function = node.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            continue
        if text(function.child_by_field_name("property")) == "connectMicroservice":
            return True
    return False


def find_bootstrap(entry: str, by_path: dict[str, str]) -> Bootstrap | None:
    """The NestFactory call reached from the entry (createMicroservice preferred)."""
    sources = [parse_source(p, by_path[p]) for p in _closure(entry, by_path)]
    connects = any(_connects(s) for s in sources)
    found: list[Bootstrap] = []
    for source in sources:
        for node in of_type(source.root, "call_expression"):
            method = _factory_call(node)
            if method is None:
                continue
            args = arguments(node)
            module = args[0] if args else None
            expression = " ".join(text(module).split()) if module is not None else None
            found.append(
                Bootstrap(source.path, line_of(node), method, connects, expression, module)
            )
    found.sort(key=lambda b: b.method != "createMicroservice")
    return found[0] if found else None


def _class_name(node: Node) -> Node | None:
    """`AppModule` of `AppModule`, `AppModule.forRoot(...)` or `await AppModule.register()`."""
    while node.type in ("await_expression", "call_expression", "member_expression"):
        inner = (
            node.child_by_field_name("function")
            if node.type == "call_expression"
            else node.child_by_field_name("object")
            if node.type == "member_expression"
            else (node.named_children[0] if node.named_children else None)
        )
        if inner is None:
            return None
        node = inner
    return node if node.type == "identifier" else None


def _declared_class(source: SourceFile, name: str) -> tuple[Node, list[Node]] | None:
    """The top-level class `name` of the file and its decorators."""
    for statement in source.root.named_children:
        declaration = statement.child_by_field_name("declaration") or statement
        if "class" not in declaration.type or text(declaration.child_by_field_name("name")) != name:
            continue
        decorators = [c for c in statement.children if c.type == "decorator"]
        decorators += [c for c in declaration.children if c.type == "decorator"]
        return declaration, decorators
    return None


def _imports_modules(module_decorator: Node) -> bool:
    """Does `@Module({ imports: [...] })` list anything?"""
    for node in walk(module_decorator):
        if node.type == "pair" and text(node.child_by_field_name("key")) == "imports":
            value = node.child_by_field_name("value")
            return value is not None and (value.type != "array" or bool(value.named_children))
    return False


def root_module(bootstrap: Bootstrap, by_path: dict[str, str]) -> RootModule | None:
    """The class given to NestFactory, followed through a relative import; None if unknown."""
    if bootstrap.module_node is None:
        return None
    identifier = _class_name(bootstrap.module_node)
    if identifier is None:
        return None
    name, path = text(identifier), bootstrap.path
    for item in _named_imports(parse_source(path, by_path[path])).get(name, []):
        target = resolve_import(path, item[0], set(by_path))
        if target is None:
            return None
        name, path = item[1], target
    declared = _declared_class(parse_source(path, by_path[path]), name)
    if declared is None:
        return None
    node, decorators = declared
    modules = [d for d in decorators if decorator(d).name == "Module"]
    return RootModule(
        path, name, line_of(node), bool(modules), any(_imports_modules(d) for d in modules)
    )


def _named_imports(source: SourceFile) -> dict[str, list[tuple[str, str]]]:
    """local name → [(relative specifier, exported name)] of the file's named imports."""
    found: dict[str, list[tuple[str, str]]] = {}
    for statement in source.root.named_children:
        spec_node = statement.child_by_field_name("source")
        if statement.type != "import_statement" or spec_node is None:
            continue
        specifier = text(spec_node)[1:-1]
        for node in walk(statement):
            if node.type == "import_specifier":
                name = text(node.child_by_field_name("name"))
                alias = text(node.child_by_field_name("alias")) or name
                found[alias] = [(specifier, name)]
    return found
