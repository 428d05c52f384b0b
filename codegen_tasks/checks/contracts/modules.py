"""The top-level names each file of the bundle declares (consts, enums, classes with static
fields) and imports, read from the tree without evaluating anything."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from codegen_tasks.checks.contracts.imports import is_relative, resolve_import
from codegen_tasks.checks.contracts.syntax import SourceFile, literal_parts, text

_SCOPES = ("statement_block", "switch_case")


@dataclass(frozen=True)
class Module:
    """The top-level names one file declares and imports."""

    path: str
    consts: dict[str, Node] = field(default_factory=dict)  # functions too (their node)
    namespaces: dict[str, dict[str, Node | int]] = field(default_factory=dict)
    imports: dict[str, tuple[str | None, str]] = field(default_factory=dict)


def const_declarators(statement: Node) -> list[tuple[str, Node]]:
    if statement.type != "lexical_declaration" or text(statement.child(0)) != "const":
        return []
    found: list[tuple[str, Node]] = []
    for declarator in statement.named_children:
        name = declarator.child_by_field_name("name")
        value = declarator.child_by_field_name("value")
        if name is not None and name.type == "identifier" and value is not None:
            found.append((text(name), value))
    return found


def _enum_members(body: Node) -> dict[str, Node | int]:
    members: dict[str, Node | int] = {}
    counter = 0
    for member in body.named_children:
        name_node = (
            member.child_by_field_name("name") if member.type == "enum_assignment" else member
        )
        if name_node is None or member.type == "comment":
            continue
        parts = literal_parts(name_node)
        name = "".join(p for p in parts if isinstance(p, str)) if parts else text(name_node)
        value = member.child_by_field_name("value") if member.type == "enum_assignment" else None
        if value is None:
            members[name] = counter
        else:
            members[name] = value
            counter = int(text(value)) if text(value).isdigit() else counter
        counter += 1
    return members


def _static_fields(body: Node) -> dict[str, Node | int]:
    fields: dict[str, Node | int] = {}
    for member in body.named_children:
        keywords = {text(c) for c in member.children if not c.is_named}
        name, value = member.child_by_field_name("name"), member.child_by_field_name("value")
        static = member.type == "public_field_definition" and "static" in keywords
        if static and name is not None and value is not None:
            fields[text(name)] = value
    return fields


def _imports(statement: Node, path: str, known: set[str]) -> dict[str, tuple[str | None, str]]:
    source = statement.child_by_field_name("source")
    parts = literal_parts(source) if source is not None else None
    spec = "".join(p for p in parts if isinstance(p, str)) if parts else ""
    target = resolve_import(path, spec, known) if is_relative(spec) else None
    found: dict[str, tuple[str | None, str]] = {}
    for node in statement.named_children:
        for item in [node, *node.named_children] if node.type == "import_clause" else []:
            if item.type == "namespace_import" and item.named_children:
                found[text(item.named_children[0])] = (target, "*")
            for specifier in item.named_children if item.type == "named_imports" else []:
                name = specifier.child_by_field_name("name")
                alias = specifier.child_by_field_name("alias") or name
                found[text(alias)] = (target, text(name))
    return found


def collect(source: SourceFile, known: set[str]) -> Module:
    """The module-level symbols of one file."""
    module = Module(source.path)
    for statement in source.root.named_children:
        declaration = statement.child_by_field_name("declaration") or statement
        module.consts.update(const_declarators(declaration))
        if declaration.type == "function_declaration":
            function_name = declaration.child_by_field_name("name")
            if function_name is not None:
                module.consts[text(function_name)] = declaration
        name, body = (
            declaration.child_by_field_name("name"),
            declaration.child_by_field_name("body"),
        )
        if name is not None and body is not None and declaration.type == "enum_declaration":
            module.namespaces[text(name)] = _enum_members(body)
        elif name is not None and body is not None and "class" in declaration.type:
            module.namespaces[text(name)] = _static_fields(body)
        if statement.type == "import_statement":
            module.imports.update(_imports(statement, source.path, known))
    return module


def local_const(node: Node, name: str) -> Node | None:
    """The nearest enclosing block-level `const name = ...` that precedes `node`."""
    scope = node.parent
    while scope is not None:
        if scope.type in _SCOPES:
            for statement in scope.named_children:
                if statement.start_byte >= node.start_byte:
                    break
                match = dict(const_declarators(statement)).get(name)
                if match is not None:
                    return match
        scope = scope.parent
    return None
