"""The exact message types of a service's handlers, as TypeScript text for a caller's prompt.

From the callee's discovered contracts (payload and reply type names) and its bundle: the
top-level `interface`, `type` and data `class` declarations those names use, followed through
the names they mention in turn (bounded), in the callee's own words.
"""

from __future__ import annotations

import re

from pydantic import Field
from tree_sitter import Node

from codegen_tasks.checks.contracts.syntax import parse_bundle, text
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract
from codegen_tasks.domain.wire import Message

MAX_DECLARATIONS = 24
MAX_DECLARATION_CHARS = 2000
DECLARATIONS = (
    "interface_declaration",
    "type_alias_declaration",
    "class_declaration",
    "enum_declaration",
)
_NAME_RE = re.compile(r"\b[A-Za-z_$][\w$]*\b")


class CalledType(Message):
    """One pattern of a dependency with its payload and reply types."""

    pattern: str
    type: str
    request_type: str | None = None
    response_type: str | None = None


class CalleeTypes(Message):
    """A dependency's patterns and the declarations of the types they use."""

    patterns: list[CalledType] = Field(default_factory=list)
    declarations: list[str] = Field(default_factory=list)


def _declaration(node: Node) -> tuple[str, str] | None:
    target = (
        node.named_children[-1] if node.type == "export_statement" and node.named_children else node
    )
    if target.type not in DECLARATIONS:
        return None
    body = target.child_by_field_name("body")
    if (
        target.type == "class_declaration"
        and body is not None
        and any(c.type == "method_definition" for c in body.named_children)
    ):
        return None  # behaviour, not a message shape
    name = text(target.child_by_field_name("name"))
    source = text(node)
    return (name, source) if name and len(source) <= MAX_DECLARATION_CHARS else None


def _declarations(files: list[GeneratedFile]) -> dict[str, str]:
    found: dict[str, str] = {}
    for source in parse_bundle(files):
        for node in source.root.named_children:
            declared = _declaration(node)
            if declared is not None:
                found.setdefault(*declared)
    return found


def callee_types(files: list[GeneratedFile], contracts: list[Contract]) -> CalleeTypes:
    """The patterns of `contracts` with the declarations of their types from `files`."""
    known = _declarations(files)
    wanted = [t for c in contracts for t in (c.request_type, c.response_type) if t]
    queue = [n for t in wanted for n in _NAME_RE.findall(t)]
    chosen: dict[str, str] = {}
    while queue and len(chosen) < MAX_DECLARATIONS:
        name = queue.pop(0)
        if name in chosen or name not in known:
            continue
        chosen[name] = known[name]
        queue += _NAME_RE.findall(known[name])
    return CalleeTypes(
        patterns=[
            CalledType(
                pattern=c.pattern,
                type=c.type,
                request_type=c.request_type,
                response_type=c.response_type,
            )
            for c in contracts
        ],
        declarations=list(chosen.values()),
    )
