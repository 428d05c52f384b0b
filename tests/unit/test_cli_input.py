"""The CLI's graph file reading: clear errors, bounded size."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_tasks.cli.generate import MAX_GRAPH_FILE_BYTES, _read_graph
from codegen_tasks.errors import PayloadError


def test_oversized_graph_files_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.truncate(MAX_GRAPH_FILE_BYTES + 1)
    with pytest.raises(PayloadError, match="the limit is"):
        _read_graph(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "cannot read graph"),
        ("[1, 2]", "not a JSON object"),
        ("[" * 100_000, "cannot read graph"),
    ],
)
def test_unreadable_graphs_are_clear_errors(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(PayloadError, match=words):
        _read_graph(path)
