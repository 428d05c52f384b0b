"""Constant folding for pattern expressions: literals, consts, `as const` objects, enums,
static class fields, and calls of small helpers (`createPattern('x')`: a function whose body
is one returned expression of its parameters), resolved within a file, through its relative
imports, and finally by a bundle-wide symbol table when a name has one unambiguous value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeAlias

from tree_sitter import Node

from codegen_tasks.checks.contracts.modules import collect, local_const
from codegen_tasks.checks.contracts.syntax import SourceFile, arguments, literal_parts, text, unwrap

Value: TypeAlias = str | int | float | bool | dict[str, "Value"]
MAX_DEPTH = 32
FUNCTION_TYPES = frozenset({"function_declaration", "arrow_function", "function_expression"})
_PARAMETERS = ("required_parameter", "optional_parameter")


@dataclass(frozen=True)
class _Frame:
    """The parameters of a helper being evaluated, visible only inside its body."""

    path: str
    start: int
    end: int
    bindings: dict[str, Value]


class Resolver:
    """Evaluates constant expressions against the bundle's symbols."""

    def __init__(self, sources: list[SourceFile]) -> None:
        known = {s.path for s in sources}
        self._modules = {s.path: collect(s, known) for s in sources}
        self._frames: list[_Frame] = []

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
            bound = self._bound(path, node)
            if bound is not None:
                return bound
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
        if node.type == "call_expression":
            return self._call(path, node, depth)
        return None

    def _bound(self, path: str, node: Node) -> Value | None:
        for frame in reversed(self._frames):
            inside = frame.path == path and frame.start <= node.start_byte < frame.end
            if inside and text(node) in frame.bindings:
                return frame.bindings[text(node)]
        return None

    def _function(self, path: str, name: str, depth: int) -> tuple[str, Node] | None:
        """The helper a name refers to, followed through imports."""
        module = self._modules.get(path)
        if module is None or depth > MAX_DEPTH:
            return None
        found = module.consts.get(name)
        if found is not None:
            return (path, found) if found.type in FUNCTION_TYPES else None
        target, imported = module.imports.get(name, (None, name))
        return self._function(target, imported, depth + 1) if target is not None else None

    def _call(self, path: str, node: Node, depth: int) -> Value | None:
        callee = node.child_by_field_name("function")
        helper = self._function(path, text(callee), depth + 1) if callee is not None else None
        if callee is None or callee.type != "identifier" or helper is None:
            return None
        where, function = helper
        body = _returned(function)
        params = function.child_by_field_name("parameters")
        if body is None or params is None:
            return None
        bindings: dict[str, Value] = {}
        args = arguments(node)
        for index, param in enumerate(p for p in params.named_children if p.type in _PARAMETERS):
            name, default = param.child_by_field_name("pattern"), param.child_by_field_name("value")
            value = (
                self.resolve(path, args[index], depth + 1)
                if index < len(args)
                else self.resolve(where, default, depth + 1)
                if default is not None
                else None
            )
            if name is None or value is None:
                return None
            bindings[text(name)] = value
        self._frames.append(_Frame(where, function.start_byte, function.end_byte, bindings))
        try:
            return self.resolve(where, body, depth + 1)
        finally:
            self._frames.pop()

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


def _returned(function: Node) -> Node | None:
    """The expression a helper returns: an arrow's body, or a block that is one `return x`."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return body
    statements = [c for c in body.named_children if c.type != "comment"]
    if len(statements) != 1 or statements[0].type != "return_statement":
        return None
    returned = statements[0].named_children
    return returned[0] if returned else None


def _number(raw: str) -> int | float | None:
    cleaned = raw.replace("_", "")
    try:
        return int(cleaned, 0)
    except ValueError:
        try:
            return float(cleaned)
        except ValueError:
            return None
