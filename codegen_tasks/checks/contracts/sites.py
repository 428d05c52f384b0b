"""Where the message types of a call or a handler can be named from outside the bundle.

A type-level check cannot name a local expression's type, but it can name a method of an
exported class: `Parameters<C['m']>[i]` is the i-th parameter, `ReturnType<C['m']>` what it
returns. So a `.send(pattern, data)` call is typed when `data` is a parameter of the method
around it (and its reply when that method returns the call's result, through
`firstValueFrom`/`lastValueFrom`/`await`); a handler is typed by its `@Payload()` parameter
(else its first one that is not `@Ctx()`) and its return type.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from codegen_tasks.checks.contracts.discovery import CalledPattern
from codegen_tasks.checks.contracts.handlers import (
    decorator,
    enclosing_class,
    find_handlers,
    parameters,
)
from codegen_tasks.checks.contracts.syntax import (
    SourceFile,
    arguments,
    line_of,
    of_type,
    text,
    unwrap,
)
from codegen_tasks.domain.results import Contract

REPLY_WRAPPERS = frozenset({"firstValueFrom", "lastValueFrom"})
_PASS_THROUGH = frozenset({"await_expression", "parenthesized_expression", "arguments"})


@dataclass(frozen=True)
class MethodRef:
    """A method of an exported class: the file it is declared in, class and method name."""

    file: str
    cls: str
    method: str


@dataclass(frozen=True)
class TypedSite:
    """A call or handler with the method naming its types; `why` when it cannot be typed."""

    method: MethodRef | None
    payload: int | None  # parameter index of the payload
    reply: bool  # the method's return type is the reply
    why: str | None = None


def _method_of(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type != "method_definition":
        current = current.parent
    return current


def _method_ref(path: str, method: Node) -> MethodRef | str:
    owner = enclosing_class(method)
    if owner is None:
        return "it is not in a class"
    name = text(owner.child_by_field_name("name"))
    if owner.parent is None or owner.parent.type != "export_statement" or not name:
        return f"class {name or '(anonymous)'} is not exported"
    return MethodRef(path, name, text(method.child_by_field_name("name")))


def _parameter_names(method: Node) -> list[str]:
    return [text(p.child_by_field_name("pattern")) for p in parameters(method)]


def _returns(call: Node, method: Node) -> bool:
    """Does `method` return the call's reply (through awaits and firstValueFrom/lastValueFrom)?"""
    if method.child_by_field_name("return_type") is None:
        return False
    current = call
    while current.parent is not None:
        parent = current.parent
        if parent.type == "return_statement":
            return True
        if parent.type == "call_expression":
            function = parent.child_by_field_name("function")
            if text(function) not in REPLY_WRAPPERS or current.type != "arguments":
                return False
        elif parent.type not in _PASS_THROUGH:
            return False
        current = parent
    return False


def _call_node(source: SourceFile, call: CalledPattern) -> Node | None:
    for node in of_type(source.root, "call_expression"):
        if line_of(node) != call.line:
            continue
        function = node.child_by_field_name("function")
        if (
            function is not None
            and function.type == "member_expression"
            and text(function.child_by_field_name("property")) == call.method
        ):
            return node
    return None


def call_site(sources: dict[str, SourceFile], call: CalledPattern) -> TypedSite:
    """How the payload and expected reply of `call` can be named."""
    source = sources.get(call.file)
    node = _call_node(source, call) if source is not None else None
    method = _method_of(node) if node is not None else None
    if node is None or method is None:
        return TypedSite(None, None, False, "the call is not inside a class method")
    ref = _method_ref(call.file, method)
    if isinstance(ref, str):
        return TypedSite(None, None, False, ref)
    args = arguments(node)
    data = unwrap(args[1]) if len(args) > 1 else None
    names = _parameter_names(method)
    index = names.index(text(data)) if data is not None and text(data) in names else None
    why = None if index is not None else "its payload is not a parameter of the method around it"
    return TypedSite(ref, index, call.method == "send" and _returns(node, method), why)


def _payload_index(method: Node) -> int | None:
    params = parameters(method)
    marks = [{decorator(c).name for c in p.children if c.type == "decorator"} for p in params]
    for index, names in enumerate(marks):
        if "Payload" in names:
            return index
    return 0 if params and "Ctx" not in marks[0] else None


def handler_site(sources: dict[str, SourceFile], contract: Contract) -> TypedSite:
    """How the payload and reply types of a discovered handler can be named."""
    source = sources.get(contract.file or "")
    handlers = find_handlers(source) if source is not None else []
    found = next(
        (
            h
            for h in handlers
            if h.name == contract.handler
            and contract.line in {line_of(d.node) for d in h.decorators}
        ),
        None,
    )
    if found is None or source is None:
        return TypedSite(None, None, False, "its handler was not found")
    ref = _method_ref(source.path, found.method)
    if isinstance(ref, str):
        return TypedSite(None, None, False, ref)
    return TypedSite(ref, _payload_index(found.method), contract.type == "request")
