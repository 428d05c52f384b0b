"""Static contract discovery: what a bundle handles (@MessagePattern / @EventPattern), what it
calls (ClientProxy `.send` / `.emit`) and its HTTP routes, read with tree-sitter.

Patterns are canonicalised the way NestJS routes them: strings as they are, numbers as their
decimal text, and object patterns such as `{ cmd: 'get_user', role: 'user' }` as compact JSON
with keys sorted at every depth: `{"cmd":"get_user","role":"user"}`.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field
from tree_sitter import Node

from codegen_tasks.checks.contracts.handlers import (
    Decorator,
    Handler,
    class_decorators,
    find_handlers,
    request_type,
    response_type,
)
from codegen_tasks.checks.contracts.symbols import Resolver, Value
from codegen_tasks.checks.contracts.syntax import (
    SourceFile,
    arguments,
    line_of,
    of_type,
    parse_bundle,
    syntax_warnings,
    text,
)
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract, ContractSet, Finding, ValidationLevel
from codegen_tasks.domain.wire import Message

PATTERN_DECORATORS: dict[str, Literal["request", "event"]] = {
    "MessagePattern": "request",
    "EventPattern": "event",
}
HTTP_DECORATORS = ("Get", "Post", "Put", "Patch", "Delete", "Head", "Options", "All")
CLIENT_METHODS = ("send", "emit")


class CalledPattern(Message):
    """A `.send(pattern, data)` / `.emit(pattern, data)` call found in the bundle."""

    pattern: str
    method: Literal["send", "emit"]
    receiver: str
    file: str
    line: int


class HttpRoute(Message):
    """An HTTP handler: verb and full path (controller prefix included)."""

    method: str
    path: str
    handler: str
    file: str
    line: int


class UnresolvedPattern(Message):
    """A pattern expression static analysis cannot evaluate, where it was written."""

    expression: str
    usage: str  # `@MessagePattern on handle` or `client.send`
    file: str
    line: int


class DiscoveryReport(Message):
    contracts: list[Contract] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)
    unresolved: list[UnresolvedPattern] = Field(default_factory=list)
    calls: list[CalledPattern] = Field(default_factory=list)
    routes: list[HttpRoute] = Field(default_factory=list)

    def contract_set(self) -> ContractSet:
        return ContractSet(contracts=self.contracts)


def canonical_pattern(value: Value | None) -> str | None:
    """The routing key NestJS derives from a pattern value; None when it is not a pattern."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _warning(message: str, path: str, node: Node) -> Finding:
    return Finding(
        level=ValidationLevel.CONTRACT_DISCOVERY, message=message, file=path, line=line_of(node)
    )


def _elements(node: Node) -> list[Node]:
    """`['a', 'b']` as its items; any other expression as itself."""
    if node.type == "array":
        return [n for n in node.named_children if n.type != "comment"]
    return [node]


def _unresolved(expression: Node, usage: str, path: str, at: Node) -> UnresolvedPattern:
    shown = " ".join(text(expression).split())
    return UnresolvedPattern(expression=shown[:200], usage=usage, file=path, line=line_of(at))


def unresolved_warning(item: UnresolvedPattern) -> Finding:
    message = (
        f"cannot resolve the pattern {item.expression!r} of {item.usage} statically; "
        "use a string literal, or a constant, enum or template of constants in the bundle"
    )
    return Finding(
        level=ValidationLevel.CONTRACT_DISCOVERY, message=message, file=item.file, line=item.line
    )


def _contracts(
    resolver: Resolver, handler: Handler, found: Decorator
) -> tuple[list[Contract], list[UnresolvedPattern | Finding]]:
    kind = PATTERN_DECORATORS[found.name]
    args = found.arguments
    if not args:
        return [], [
            _warning(f"@{found.name}() on {handler.name} has no pattern", handler.path, found.node)
        ]
    contracts: list[Contract] = []
    warnings: list[UnresolvedPattern | Finding] = []
    for element in _elements(args[0]):
        pattern = canonical_pattern(resolver.resolve(handler.path, element))
        if pattern is None:
            usage = f"@{found.name} on {handler.name}"
            warnings.append(_unresolved(element, usage, handler.path, found.node))
            continue
        contracts.append(
            Contract(
                pattern=pattern,
                type=kind,
                request_type=request_type(handler.method),
                response_type=response_type(handler.method),
                description=handler.description,
                handler=handler.name,
                file=handler.path,
                line=line_of(found.node),
            )
        )
    return contracts, warnings


def _paths(resolver: Resolver, path: str, args: list[Node]) -> list[str]:
    """Route paths of `@Get('x')`, `@Get(['a', 'b'])`, `@Controller({ path: 'x' })`."""
    if not args:
        return [""]
    paths: list[str] = []
    for element in _elements(args[0]):
        value = resolver.resolve(path, element)
        if isinstance(value, dict):
            value = value.get("path", "")
        if isinstance(value, str):
            paths.append(value)
    return paths


def _join(prefix: str, route: str) -> str:
    return "/" + "/".join(s.strip("/") for s in (prefix, route) if s.strip("/"))


def _routes(resolver: Resolver, handler: Handler) -> list[HttpRoute]:
    controllers = [d for d in class_decorators(handler.method) if d.name == "Controller"]
    prefixes = _paths(resolver, handler.path, controllers[0].arguments) if controllers else [""]
    return [
        HttpRoute(
            method=found.name.upper(),
            path=_join(prefix, route),
            handler=handler.name,
            file=handler.path,
            line=line_of(found.node),
        )
        for found in handler.decorators
        if found.name in HTTP_DECORATORS
        for prefix in prefixes
        for route in _paths(resolver, handler.path, found.arguments)
    ]


def _calls(
    resolver: Resolver, source: SourceFile
) -> tuple[list[CalledPattern], list[UnresolvedPattern]]:
    calls: list[CalledPattern] = []
    unresolved: list[UnresolvedPattern] = []
    for node in of_type(source.root, "call_expression"):
        function = node.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            continue
        method = text(function.child_by_field_name("property"))
        args = arguments(node)
        if method not in CLIENT_METHODS or len(args) < 2:
            continue
        pattern = canonical_pattern(resolver.resolve(source.path, args[0]))
        receiver = text(function.child_by_field_name("object"))
        if pattern is None and _client_like(receiver):
            usage = f"{' '.join(receiver.split())}.{method}"
            unresolved.append(_unresolved(args[0], usage, source.path, node))
        elif pattern is not None:
            calls.append(
                CalledPattern(
                    pattern=pattern,
                    method="send" if method == "send" else "emit",
                    receiver=" ".join(receiver.split()),
                    file=source.path,
                    line=line_of(node),
                )
            )
    return calls, unresolved


def _client_like(receiver: str) -> bool:
    """Is `receiver.send(...)` plausibly a ClientProxy (not e.g. `res.send(body)`)?"""
    return "client" in receiver.lower() or "proxy" in receiver.lower()


def discover(files: list[GeneratedFile]) -> DiscoveryReport:
    """Everything static analysis finds in the bundle, with warnings for what it could not read."""
    sources = parse_bundle(files)
    resolver = Resolver(sources)
    report = DiscoveryReport()
    for source in sources:
        report.warnings.extend(syntax_warnings(source))
        for handler in find_handlers(source):
            for found in handler.decorators:
                if found.name in PATTERN_DECORATORS:
                    contracts, problems = _contracts(resolver, handler, found)
                    report.contracts.extend(contracts)
                    for problem in problems:
                        _note(report, problem)
            report.routes.extend(_routes(resolver, handler))
        calls, unresolved = _calls(resolver, source)
        report.calls.extend(calls)
        for item in unresolved:
            _note(report, item)
    return report


def _note(report: DiscoveryReport, problem: UnresolvedPattern | Finding) -> None:
    if isinstance(problem, UnresolvedPattern):
        report.unresolved.append(problem)
        problem = unresolved_warning(problem)
    report.warnings.append(problem)


def discover_contracts(files: list[GeneratedFile]) -> ContractSet:
    """The contracts (handled patterns) of the bundle."""
    return discover(files).contract_set()


def called_patterns(files: list[GeneratedFile]) -> list[CalledPattern]:
    """The patterns the bundle sends or emits through a client, with file and line."""
    sources = parse_bundle(files)
    resolver = Resolver(sources)
    return [call for source in sources for call in _calls(resolver, source)[0]]
