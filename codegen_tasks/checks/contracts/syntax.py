"""Parsing a bundle's TypeScript sources with tree-sitter, and small helpers over the tree.

A file's tree is parsed once per content: every check of a bundle (structure, imports,
layout, contracts, runtime plan) and every step reading the same bundle again share the
tree, which no caller edits (tree-sitter trees are read-only without `Tree.edit`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import tree_sitter_typescript as tsts
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel

MAX_SYNTAX_WARNINGS_PER_FILE = 3
PARSED_FILES_KEPT = 1024  # trees kept by content: a 48-service batch's sources, with room
SKIPPED_SUFFIXES = (".d.ts", ".spec.ts", ".test.ts")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


@dataclass(frozen=True)
class SourceFile:
    """One parsed TypeScript file of the bundle."""

    path: str
    root: Node


@cache
def _language() -> Language:
    return Language(tsts.language_typescript())


@cache
def _parser() -> Parser:
    return Parser(_language())


@cache
def _type_query(types: tuple[str, ...]) -> Query:
    return Query(_language(), "[" + " ".join(f"({t})" for t in types) + "] @node")


def is_source(path: str) -> bool:
    """A TypeScript source worth reading: not a declaration, a test, nor a dependency."""
    if not path.endswith(".ts") or path.endswith(SKIPPED_SUFFIXES):
        return False
    return "node_modules" not in path.split("/")


@lru_cache(maxsize=PARSED_FILES_KEPT)
def _tree(content: str) -> Tree:
    return _parser().parse(content.encode("utf-8"))


def parse_source(path: str, content: str) -> SourceFile:
    """Parse one TypeScript file (once per content)."""
    return SourceFile(path, _tree(content).root_node)


def parse_bundle(files: list[GeneratedFile]) -> list[SourceFile]:
    """Parse every TypeScript source of the bundle, in path order."""
    sources = sorted((f for f in files if is_source(f.path)), key=lambda f: f.path)
    return [parse_source(f.path, f.content) for f in sources]


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def line_of(node: Node) -> int:
    """1-based line of the node's first character."""
    return node.start_point.row + 1


def walk(node: Node) -> Iterator[Node]:
    """Every node under (and including) `node`, depth first, in source order (a tree
    cursor: no list of children built per node)."""
    cursor = node.walk()
    while True:
        current = cursor.node
        assert current is not None  # a cursor over a node always stands on one
        yield current
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():  # back above `node`: done
                return


def of_type(node: Node, *types: str) -> list[Node]:
    """The nodes of these (named) types under and including `node`, in the order `walk`
    visits them, found by a tree-sitter query (in C: no Python visit of every node)."""
    return in_walk_order(QueryCursor(_type_query(types)).captures(node).get("node", []))


def in_walk_order(nodes: Iterable[Node]) -> list[Node]:
    """Nodes of one tree in `walk` order (preorder: an outer node before what it contains)."""
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def unescape(raw: str) -> str:
    """The value of a JS escape sequence such as `\\n` or `\\'`."""
    body = raw[1:]
    if body.startswith("u{") and body.endswith("}"):
        return chr(int(body[2:-1], 16))
    if body[:1] in ("u", "x") and len(body) > 1:
        return chr(int(body[1:], 16))
    return _ESCAPES.get(body, body)


def literal_parts(node: Node) -> list[str | Node] | None:
    """A string or template literal as text pieces and `${...}` expressions; None otherwise."""
    if node.type not in ("string", "template_string"):
        return None
    parts: list[str | Node] = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(text(child))
        elif child.type == "escape_sequence":
            parts.append(unescape(text(child)))
        elif child.type == "template_substitution" and child.named_children:
            parts.append(child.named_children[0])
    return parts


def unwrap(node: Node) -> Node:
    """Look through `(x)`, `x as const`, `x satisfies T`, `x!` and `<T>x`."""
    while node.type in (
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
    ):
        inner = [c for c in node.named_children if c.type not in ("type_arguments", "comment")]
        if not inner:
            break
        node = inner[0] if node.type != "type_assertion" else inner[-1]
    return node


def arguments(call: Node) -> list[Node]:
    """The argument expressions of a call_expression (comments left out)."""
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    return [a for a in args.named_children if a.type != "comment"]


def callee_name(call: Node) -> str:
    """`Foo` for `Foo(...)` and `ns.Foo(...)`; empty when the callee is anything else."""
    function = call.child_by_field_name("function")
    if function is not None and function.type == "member_expression":
        function = function.child_by_field_name("property")
    return text(function) if function is not None else ""


def syntax_warnings(source: SourceFile) -> list[Finding]:
    """Where tree-sitter had to recover from a syntax error, at most a few per file."""
    if not source.root.has_error:
        return []
    findings: list[Finding] = []
    for node in walk(source.root):
        if not (node.is_error or node.is_missing) or line_of(node) in {f.line for f in findings}:
            continue
        what = f"missing {node.type!r}" if node.is_missing else f"unexpected {text(node)[:40]!r}"
        findings.append(
            Finding(
                level=ValidationLevel.CONTRACT_DISCOVERY,
                message=f"syntax error ({what}); contracts in this file may be incomplete",
                file=source.path,
                line=line_of(node),
            )
        )
        if len(findings) >= MAX_SYNTAX_WARNINGS_PER_FILE:
            break
    return findings
