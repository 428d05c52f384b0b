"""LOGIC node expressions: accepted only as pure JavaScript expressions over `data`.

The graph editor writes `expression` as JavaScript over the message, e.g.
`data.status === 'paid'`. It is parsed with tree-sitter and accepted when it consists of
literals, `data` and member access on it, comparisons, boolean and arithmetic operators,
`in`, `typeof` and ternaries. Calls, `new`, assignments, updates, `this`, functions,
comments, globals and several statements are refused, so the expression can be compiled
verbatim into the producing service as a typed predicate.
"""

from __future__ import annotations

from tree_sitter import Node

from codegen_tasks.checks.contracts.syntax import parse_bundle, text, walk
from codegen_tasks.domain.files import GeneratedFile

MAX_EXPRESSION_CHARS = 2000
DATA = "data"
# no `instanceof` (it needs a global), no bitwise operators
_BINARY = frozenset(
    "+ - * / % ** == != === !== < <= > >= && || ?? in".split()  # noqa: SIM905
)
_UNARY = frozenset({"!", "-", "+", "typeof"})
_ALLOWED = frozenset(
    {
        "parenthesized_expression",
        "member_expression",
        "subscript_expression",
        "binary_expression",
        "unary_expression",
        "ternary_expression",
        "property_identifier",
        "optional_chain",
        "string",
        "string_fragment",
        "escape_sequence",
        "template_string",
        "template_substitution",
        "number",
        "true",
        "false",
        "null",
        "undefined",
        "identifier",
    }
)
_NAMES = {
    "call_expression": "calls",
    "new_expression": "`new`",
    "assignment_expression": "assignments",
    "augmented_assignment_expression": "assignments",
    "update_expression": "`++`/`--`",
    "this": "`this`",
    "arrow_function": "functions",
    "function_expression": "functions",
    "await_expression": "`await`",
    "sequence_expression": "the comma operator",
    "comment": "comments",
}


def expression_problems(expression: str) -> list[str]:
    """Why `expression` is not a pure expression over `data` (empty when it is)."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        return [f"is {len(expression)} characters; the limit is {MAX_EXPRESSION_CHARS}"]
    if not expression.strip():
        return ["is empty"]
    source = f"({expression}\n);"
    root = parse_bundle([GeneratedFile(path="src/expression.ts", content=source)])[0].root
    statements = list(root.named_children)
    first = statements[0].named_children if statements else []
    outer = first[0] if first else None
    if (
        root.has_error
        or len(statements) != 1
        or statements[0].type != "expression_statement"
        or outer is None
        or outer.type != "parenthesized_expression"
    ):
        return ["is not one JavaScript expression"]
    for node in walk(outer):
        problem = _problem(node) if node.is_named else None
        if problem:
            return [problem]  # the first one: what follows inside it is noise
    return []


def _problem(node: Node) -> str | None:
    where = f"`{text(node)[:60]}` at column {node.start_point.column}"  # 1-based: `(` first
    if node.type in _NAMES:
        return f"uses {_NAMES[node.type]} ({where}); only a pure expression over data is allowed"
    if node.type not in _ALLOWED:
        return f"uses a {node.type.replace('_', ' ')} ({where}), which is not allowed"
    if node.type == "identifier" and text(node) != DATA:
        return f"refers to {text(node)!r} ({where}); only `data` may be referenced"
    operator = node.child_by_field_name("operator")
    if node.type == "binary_expression" and text(operator) not in _BINARY:
        return f"uses the operator {text(operator)!r} ({where}), which is not allowed"
    if node.type == "unary_expression" and text(operator) not in _UNARY:
        return f"uses the operator {text(operator)!r} ({where}), which is not allowed"
    return None
