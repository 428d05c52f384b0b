"""The syntax helpers every check reads trees with: the walk's order and bounds, and one
parse per file content shared by the checks."""

from __future__ import annotations

from tree_sitter import Node

from codegen_tasks.checks.contracts.imports import file_imports
from codegen_tasks.checks.contracts.syntax import of_type, parse_source, walk

SOURCE = """import { A } from './a';
@Module({ imports: [A] })
export class AppModule {}
function f(x: number) { return g(x, [1, 2]); }
"""


def _preorder(node: Node) -> list[tuple[str, int, int]]:
    """Depth first, in source order, by recursion over `children`: the reference order."""
    found = [(node.type, node.start_byte, node.end_byte)]
    for child in node.children:
        found += _preorder(child)
    return found


def _spans(nodes: list[Node]) -> list[tuple[str, int, int]]:
    return [(n.type, n.start_byte, n.end_byte) for n in nodes]


def test_walk_visits_every_node_depth_first_in_source_order() -> None:
    root = parse_source("src/app.ts", SOURCE).root
    assert _spans(list(walk(root))) == _preorder(root)


def test_walk_of_a_subtree_stays_inside_it() -> None:
    root = parse_source("src/app.ts", SOURCE).root
    for statement in root.named_children:
        visited = list(walk(statement))
        assert _spans(visited) == _preorder(statement)
        assert all(
            statement.start_byte <= n.start_byte <= n.end_byte <= statement.end_byte
            for n in visited
        )


def test_a_leaf_walks_to_itself_alone() -> None:
    root = parse_source("src/app.ts", SOURCE).root
    leaf = next(n for n in walk(root) if not n.children)
    assert _spans(list(walk(leaf))) == _spans([leaf])


def test_one_content_is_parsed_once_and_keeps_each_callers_path() -> None:
    first, second = parse_source("src/a.ts", SOURCE), parse_source("src/b.ts", SOURCE)
    assert first.root.id == second.root.id  # the same tree
    assert (first.path, second.path) == ("src/a.ts", "src/b.ts")
    assert parse_source("src/a.ts", SOURCE + "\n").root.id != first.root.id


def test_imports_read_once_are_a_fresh_list_for_every_caller() -> None:
    mine = file_imports("src/app.ts", SOURCE)
    mine.clear()  # a caller's edit does not reach the next caller
    assert [i.specifier for i in file_imports("src/other.ts", SOURCE)] == ["./a"]


NESTED = """const a = f(g(h()), [k()])(m());
class C { @Get() x() { return { y() { return n(); } }; } }
"""


def test_of_type_finds_what_a_filtered_walk_finds_in_the_same_order() -> None:
    root = parse_source("src/nested.ts", NESTED).root
    for types in (("call_expression",), ("method_definition", "call_expression", "object")):
        expected = [n for n in walk(root) if n.type in types]
        assert _spans(of_type(root, *types)) == _spans(expected)
    assert len(of_type(root, "call_expression")) == 8  # f(..)(..), f, g, h, k, m, Get, n


def test_of_type_of_a_subtree_stays_inside_it() -> None:
    root = parse_source("src/nested.ts", NESTED).root
    klass = root.named_children[1]
    assert [n.text for n in of_type(klass, "call_expression")] == [b"Get()", b"n()"]
