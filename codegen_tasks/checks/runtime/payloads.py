"""Well-formed sample payloads derived from a handler's DTO type, read with tree-sitter.

A DTO is a class, an interface or an object type alias of the bundle. Each property gets a
value of its declared type (strings, numbers, booleans, string literal unions, arrays,
nested DTOs); properties of a type we cannot build are left out when optional.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import JsonValue as Json
from tree_sitter import Node

from codegen_tasks.checks.contracts.syntax import SourceFile, text, walk

MAX_DEPTH = 4
_DECLARATIONS = ("class_declaration", "interface_declaration", "type_alias_declaration")
_MEMBERS = ("public_field_definition", "property_signature")
_MODIFIERS = ("static", "accessibility_modifier")


@dataclass(frozen=True)
class DtoField:
    name: str
    type: Node | None
    optional: bool


def _declarations(sources: list[SourceFile]) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for source in sources:
        for node in walk(source.root):
            if node.type in _DECLARATIONS:
                name = node.child_by_field_name("name")
                found.setdefault(text(name), node)
    return found


def _body(declaration: Node) -> Node | None:
    if declaration.type == "type_alias_declaration":
        value = declaration.child_by_field_name("value")
        return value if value is not None and value.type == "object_type" else None
    return declaration.child_by_field_name("body")


def _fields(body: Node) -> list[DtoField]:
    fields: list[DtoField] = []
    for member in body.named_children:
        if member.type not in _MEMBERS:
            continue
        name = member.child_by_field_name("name")
        if name is None or name.type not in ("property_identifier", "string"):
            continue
        modifiers = {text(c) for c in member.children if c.type in _MODIFIERS}
        if modifiers & {"static", "private", "protected"}:
            continue
        annotation = member.child_by_field_name("type")
        type_node = annotation.named_children[0] if annotation is not None else None
        optional = any(c.type == "?" for c in member.children)
        fields.append(DtoField(text(name).strip("'\""), type_node, optional))
    return fields


class PayloadBuilder:
    """Sample payloads for the DTO types declared in a bundle."""

    def __init__(self, sources: list[SourceFile]) -> None:
        self._types = _declarations(sources)

    def fields(self, type_name: str | None) -> list[DtoField]:
        declaration = self._types.get(_bare(type_name))
        body = _body(declaration) if declaration is not None else None
        return _fields(body) if body is not None else []

    def sample(self, type_name: str | None, variant: int = 0) -> dict[str, Json]:
        """A payload of `type_name` (an empty object when the type is unknown or absent)."""
        return self._object(self.fields(type_name), variant, 0)

    def value(self, field: DtoField, variant: int = 0) -> Json:
        return self._value(field.name, field.type, variant, 0)

    def _object(self, fields: list[DtoField], variant: int, depth: int) -> dict[str, Json]:
        payload: dict[str, Json] = {}
        for field in fields:
            value = self._value(field.name, field.type, variant, depth)
            if value is not None or not field.optional:
                payload[field.name] = value
        return payload

    def _value(self, name: str, node: Node | None, variant: int, depth: int) -> Json:
        if node is None or depth > MAX_DEPTH:
            return None
        kind, raw = node.type, text(node)
        if kind == "predefined_type":
            return _primitive(raw, name, variant)
        if kind in ("array_type", "tuple_type"):
            return []
        if kind == "literal_type":
            return _literal(node)
        if kind == "union_type":
            options = [c for c in node.named_children if text(c) not in ("null", "undefined")]
            return self._value(name, options[0], variant, depth) if options else None
        if kind == "parenthesized_type" and node.named_children:
            return self._value(name, node.named_children[0], variant, depth)
        if kind == "object_type":
            return self._object(_fields(node), variant, depth + 1)
        if kind == "generic_type" and raw.startswith(("Array<", "ReadonlyArray<")):
            return []
        if kind == "generic_type" and raw.startswith("Record<"):
            return {}
        if kind == "type_identifier" and raw == "Date":
            return "2026-01-01T00:00:00.000Z"
        if kind == "type_identifier" and raw in self._types:
            return self._object(self.fields(raw), variant, depth + 1)
        return None


def _bare(type_name: str | None) -> str:
    """`Partial<X>`, `X[]`, `X | undefined` → `X` (the declaration to read)."""
    name = (type_name or "").strip()
    for wrapper in ("Partial<", "Readonly<", "Required<"):
        if name.startswith(wrapper) and name.endswith(">"):
            name = name[len(wrapper) : -1]
    return name.split("|")[0].strip()


def _primitive(raw: str, name: str, variant: int) -> Json:
    lowered = name.lower()
    if raw == "string":
        if "email" in lowered:
            return f"probe{variant}@example.com"
        if "password" in lowered:
            return f"Probe-password-{variant}!"
        return f"probe-{name}-{variant}"
    if raw == "number":
        return 100 + variant
    if raw == "boolean":
        return variant % 2 == 0
    return None


def _literal(node: Node) -> Json:
    raw = text(node)
    if raw in ("true", "false"):
        return raw == "true"
    if raw and raw[0] in "'\"`":
        return raw[1:-1]
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return None
