"""Model answers → checked file bundles: tolerant of wrapping, strict about content."""

from __future__ import annotations

import json

import pytest

from codegen_tasks.domain.files import GeneratedFile, check_files, check_path
from codegen_tasks.errors import ResponseFormatError, UnsafePathError
from codegen_tasks.generation.parsing import extract_json, parse_files

FILES = {"files": [{"path": "src/main.ts", "content": "console.log(1)"}]}
LIMITS = {"max_files": 50, "max_file_bytes": 10_000}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(FILES),
        "```json\n" + json.dumps(FILES) + "\n```",
        "Here is the service:\n```\n" + json.dumps(FILES, indent=2) + "\n```\nEnjoy!",
        "Sure! " + json.dumps(FILES) + " That's all.",
        "Plan: {not json}. Result: " + json.dumps(FILES),
    ],
)
def test_json_is_found_inside_fences_and_prose(text: str) -> None:
    files = parse_files(text, **LIMITS)
    assert files == [GeneratedFile(path="src/main.ts", content="console.log(1)")]


def test_truncated_answers_are_flagged_for_repair() -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_files(json.dumps(FILES)[:30], finish_reason="length", **LIMITS)
    assert info.value.truncated


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "No content"),
        ("I cannot help with that.", "no JSON object"),
        ('{"files": "nope"}', "schema"),
        ('{"files": [{"path": "a.ts"}]}', "schema"),
        ('{"files": [{"path": 1, "content": "x"}]}', "schema"),
        ('{"files": []}', "no files"),
    ],
)
def test_bad_answers_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ResponseFormatError, match=fragment):
        parse_files(text, **LIMITS)


@pytest.mark.parametrize(
    "path",
    ["../../x", "/etc/passwd", "src\\..\\x", "a/\x00b", "src/../../x", "C:/x", "a//b", "x/..", ""],
)
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_path(path)
    answer = json.dumps({"files": [{"path": path, "content": "x"}]})
    with pytest.raises(ResponseFormatError):
        parse_files(answer, **LIMITS)


def test_overlong_and_deep_paths_are_refused() -> None:
    with pytest.raises(UnsafePathError, match="longer"):
        check_path("a/" * 150 + "b")
    with pytest.raises(UnsafePathError, match="deeper"):
        check_path("/".join(["d"] * 20) + "/f.ts")


def test_paths_are_normalised_and_sorted() -> None:
    files = check_files(
        [GeneratedFile(path="./src/b.ts", content=""), GeneratedFile(path="a.json", content="")],
        **LIMITS,
    )
    assert [f.path for f in files] == ["a.json", "src/b.ts"]


def test_size_and_count_limits() -> None:
    big = json.dumps({"files": [{"path": "big.ts", "content": "x" * 10_001}]})
    with pytest.raises(ResponseFormatError, match="limit"):
        parse_files(big, **LIMITS)
    many = json.dumps({"files": [{"path": f"f{i}.ts", "content": ""} for i in range(51)]})
    with pytest.raises(ResponseFormatError, match="51 files"):
        parse_files(many, **LIMITS)
    dup = json.dumps(
        {"files": [{"path": "a.ts", "content": ""}, {"path": "./a.ts", "content": ""}]}
    )
    with pytest.raises(ResponseFormatError, match="twice"):
        parse_files(dup, **LIMITS)


def test_json_bombs_do_not_crash_the_parser() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ResponseFormatError):
        parse_files(deep, **LIMITS)
    with pytest.raises(ResponseFormatError, match="refusing"):
        parse_files("x" * 9_000_000, **LIMITS)


def test_one_extractor_reads_every_answer_object() -> None:
    review = 'Findings:\n{"warnings": [{"message": "slow"}]} hope it helps'
    assert extract_json(review, key=None) == {"warnings": [{"message": "slow"}]}
    # the files answer is the first object in the prose that has files
    prose = 'use {"a": 1} then {"files": []} ok'
    assert extract_json(prose) == {"files": []}
    assert extract_json(prose, key=None) == {"a": 1}
    with pytest.raises(ResponseFormatError):
        extract_json("no object at all", key=None)
