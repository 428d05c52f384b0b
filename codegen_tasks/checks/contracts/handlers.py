"""Decorated class methods of a parsed file: decorators, payload/return types, descriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from codegen_tasks.checks.contracts.syntax import (
    SourceFile,
    arguments,
    callee_name,
    in_walk_order,
    of_type,
    text,
)

WRAPPER_TYPES = frozenset({"Promise", "Observable", "PromiseLike"})
CLASS_TYPES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
_PARAMETER_TYPES = ("required_parameter", "optional_parameter")
_TAG = re.compile(r"^@(\w+)\s*(.*)$")


@dataclass(frozen=True)
class Decorator:
    name: str
    node: Node

    @property
    def arguments(self) -> list[Node]:
        call = self.node.named_children[0] if self.node.named_children else None
        return arguments(call) if call is not None and call.type == "call_expression" else []


@dataclass(frozen=True)
class Handler:
    """A class method with its decorators and leading comment."""

    path: str
    method: Node
    decorators: tuple[Decorator, ...]
    description: str | None

    @property
    def name(self) -> str:
        return text(self.method.child_by_field_name("name"))


def decorator(node: Node) -> Decorator:
    target = node.named_children[0] if node.named_children else node
    if target.type == "call_expression":
        return Decorator(callee_name(target), node)
    if target.type == "member_expression":
        return Decorator(text(target.child_by_field_name("property")), node)
    return Decorator(text(target), node)


def find_handlers(source: SourceFile) -> list[Handler]:
    """Every method that carries at least one decorator, in source order."""
    found: list[Handler] = []
    methods = of_type(source.root, "method_definition")
    parents = {m.parent.id: m.parent for m in methods if m.parent is not None}
    for parent in in_walk_order(parents.values()):
        decorators: list[Node] = []
        comments: list[Node] = []
        for child in parent.children:
            if child.type == "decorator":
                decorators.append(child)
            elif child.type == "comment":
                comments.append(child)
            elif child.type == "method_definition":
                inner = [c for c in child.children if c.type == "decorator"]
                if decorators or inner:
                    own = tuple(decorator(d) for d in [*decorators, *inner])
                    found.append(Handler(source.path, child, own, description(comments)))
                decorators, comments = [], []
            else:
                decorators, comments = [], []
    return found


def description(comments: list[Node]) -> str | None:
    """The text of the comment right before a method: its last JSDoc block or `//` run."""
    if not comments:
        return None
    group = [comments[-1]]
    if text(group[0]).startswith("//"):
        for earlier in reversed(comments[:-1]):
            if (
                not text(earlier).startswith("//")
                or earlier.end_point.row + 1 != group[0].start_point.row
            ):
                break
            group.insert(0, earlier)
    lines: list[str] = []
    for raw in "\n".join(text(c) for c in group).splitlines():
        line = raw.strip().removeprefix("/**").removeprefix("/*").removesuffix("*/")
        line = line.strip().removeprefix("//").removeprefix("*").strip()
        tag = _TAG.match(line)
        if tag is not None:
            if tag.group(1) not in ("description", "summary"):
                break
            line = tag.group(2)
        lines.append(line)
    joined = " ".join(" ".join(lines).split())
    return joined or None


def parameters(method: Node) -> list[Node]:
    params = method.child_by_field_name("parameters")
    if params is None:
        return []
    return [p for p in params.named_children if p.type in _PARAMETER_TYPES]


def _parameter_decorators(param: Node) -> set[str]:
    return {decorator(c).name for c in param.children if c.type == "decorator"}


def _annotation(node: Node | None) -> Node | None:
    if node is None or not node.named_children:
        return None
    return node.named_children[0]


def _type_text(node: Node | None) -> str | None:
    if node is None:
        return None
    return " ".join(text(node).split()) or None


def request_type(method: Node) -> str | None:
    """The type of the @Payload() parameter, else of a plain first parameter (not @Ctx())."""
    params = parameters(method)
    payload = next((p for p in params if "Payload" in _parameter_decorators(p)), None)
    if payload is None and params and "Ctx" not in _parameter_decorators(params[0]):
        payload = params[0]
    if payload is None:
        return None
    return _type_text(_annotation(payload.child_by_field_name("type")))


def response_type(method: Node) -> str | None:
    """The declared return type with Promise<...> / Observable<...> unwrapped, nested too."""
    node = _annotation(method.child_by_field_name("return_type"))
    while node is not None and node.type == "generic_type":
        name = text(node.child_by_field_name("name")).rsplit(".", 1)[-1]
        args = node.child_by_field_name("type_arguments")
        if name not in WRAPPER_TYPES or args is None or not args.named_children:
            break
        node = args.named_children[0]
    return _type_text(node)


def enclosing_class(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type not in CLASS_TYPES:
        current = current.parent
    return current


def class_decorators(method: Node) -> list[Decorator]:
    """The decorators of the class a method belongs to (`export` placement included)."""
    owner = enclosing_class(method)
    if owner is None:
        return []
    nodes = [c for c in owner.children if c.type == "decorator"]
    if owner.parent is not None and owner.parent.type == "export_statement":
        nodes = [c for c in owner.parent.children if c.type == "decorator"] + nodes
    return [decorator(n) for n in nodes]
