"""Constant folding for pattern expressions: literals, consts, `as const` objects, enums and
static class fields, resolved within a file, through its relative imports, and finally by a
bundle-wide symbol table when a name has one unambiguous value."""

from __future__ import annotations

import json
from typing import TypeAlias

from tree_sitter import Node

from codegen_tasks.contracts.modules import collect, local_const
from codegen_tasks.contracts.syntax import SourceFile, literal_parts, text, unwrap

Value: TypeAlias = str | int | float | bool | dict[str, "Value"]
MAX_DEPTH = 32


class Resolver:
    """Evaluates constant expressions against the bundle's symbols."""

    def __init__(self, sources: list[SourceFile]) -> None:
        known = {s.path for s in sources}
        self._modules = {s.path: collect(s, known) for s in sources}

    def resolve(self, path: str, node: Node, depth: int = 0) -> Value | None:
        """The value of the expression `node` found in file `path`, or None."""
        node = unwrap(node)
        if depth > MAX_DEPTH:
            return None
        if node.type in ("string", "template_string"):
            return self._string(path, node, depth)
        if node.type == "number":
            return _number(text(node))
        if node.type in ("true", "false"):
            return node.type == "true"
        if node.type == "identifier":
            local = local_const(node, text(node))
            if local is not None:
                return self.resolve(path, local, depth + 1)
            return self.lookup(path, text(node), depth + 1)
        if node.type in ("member_expression", "subscript_expression"):
            return self._member(path, node, depth)
        if node.type == "object":
            return self._object(path, node, depth)
        if node.type == "binary_expression":
            return self._concat(path, node, depth)
        return None

    def lookup(self, path: str, name: str, depth: int) -> Value | None:
        """A top-level name as seen from file `path`."""
        module = self._modules.get(path)
        if module is None or depth > MAX_DEPTH:
            return None
        if name in module.consts:
            return self.resolve(path, module.consts[name], depth + 1)
        if name in module.namespaces:
            return self._namespace(path, module.namespaces[name], depth)
        target, imported = module.imports.get(name, (None, name))
        if imported == "*":
            return self._exports(target, depth) if target is not None else None
        if target is not None:
            found = self.lookup(target, imported, depth + 1)
            if found is not None:
                return found
        return self._global(path, imported, depth)

    def _global(self, path: str, name: str, depth: int) -> Value | None:
        values: dict[str, Value] = {}
        for other in self._modules.values():
            if other.path != path and (name in other.consts or name in other.namespaces):
                value = self.lookup(other.path, name, depth + 1)
                if value is not None:
                    values[json.dumps(value, sort_keys=True)] = value
        return next(iter(values.values())) if len(values) == 1 else None

    def _exports(self, path: str, depth: int) -> Value | None:
        module = self._modules[path]
        names = [*module.consts, *module.namespaces]
        values = {n: self.lookup(path, n, depth + 1) for n in names}
        return {n: v for n, v in values.items() if v is not None}

    def _namespace(self, path: str, members: dict[str, Node | int], depth: int) -> Value:
        values: dict[str, Value] = {}
        for name, member in members.items():
            value = member if isinstance(member, int) else self.resolve(path, member, depth + 1)
            if value is not None:
                values[name] = value
        return values

    def _string(self, path: str, node: Node, depth: int) -> Value | None:
        pieces: list[str] = []
        for part in literal_parts(node) or []:
            value = part if isinstance(part, str) else self.resolve(path, part, depth + 1)
            if value is None or isinstance(value, dict | bool):
                return None
            pieces.append(str(value))
        return "".join(pieces)

    def _member(self, path: str, node: Node, depth: int) -> Value | None:
        owner = node.child_by_field_name("object")
        if owner is None:
            return None
        container = self.resolve(path, owner, depth + 1)
        key_node = node.child_by_field_name("property") or node.child_by_field_name("index")
        if not isinstance(container, dict) or key_node is None:
            return None
        key = text(key_node)
        if node.type == "subscript_expression":
            resolved = self.resolve(path, key_node, depth + 1)
            key = str(resolved) if isinstance(resolved, str | int) else ""
        return container.get(key)

    def _object(self, path: str, node: Node, depth: int) -> Value | None:
        result: dict[str, Value] = {}
        for member in node.named_children:
            if member.type == "comment":
                continue
            key: str | None
            if member.type == "shorthand_property_identifier":
                key, value = text(member), self.lookup(path, text(member), depth + 1)
            elif member.type == "spread_element" and member.named_children:
                spread = self.resolve(path, member.named_children[0], depth + 1)
                if not isinstance(spread, dict):
                    return None
                result.update(spread)
                continue
            elif member.type == "pair":
                key, value = self._pair(path, member, depth)
            else:
                return None
            if key is None or value is None:
                return None
            result[key] = value
        return result

    def _pair(self, path: str, pair: Node, depth: int) -> tuple[str | None, Value | None]:
        key_node, value_node = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key_node is None or value_node is None:
            return None, None
        key: Value | None = text(key_node)
        if key_node.type in ("string", "computed_property_name"):
            inner = key_node if key_node.type == "string" else key_node.named_children[0]
            key = self.resolve(path, inner, depth + 1)
        value = self.resolve(path, value_node, depth + 1)
        return (str(key) if isinstance(key, str | int) else None), value

    def _concat(self, path: str, node: Node, depth: int) -> Value | None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None or text(operator) != "+":
            return None
        a, b = self.resolve(path, left, depth + 1), self.resolve(path, right, depth + 1)
        if isinstance(a, str | int | float) and isinstance(b, str | int | float):
            if isinstance(a, str) or isinstance(b, str):
                return f"{a}{b}"
            return a + b
        return None


def _number(raw: str) -> int | float | None:
    cleaned = raw.replace("_", "")
    try:
        return int(cleaned, 0)
    except ValueError:
        try:
            return float(cleaned)
        except ValueError:
            return None
