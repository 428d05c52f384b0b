"""The style corpus, statically: every handler found in canonical form (no more, no fewer),
nothing left unresolved, and the structure NestJS requires recognised in every layout."""

from __future__ import annotations

import pytest

from codegen_tasks.checks.contracts import discover
from codegen_tasks.checks.static.structural import structural_check
from tests.corpus import STYLES, STYLES_DIR, style_files


def test_the_corpus_folders_are_the_expected_styles() -> None:
    assert sorted(p.name for p in STYLES_DIR.iterdir() if p.is_dir()) == sorted(STYLES)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_discovery_finds_every_handler_and_nothing_else(style: str) -> None:
    report = discover(style_files(style))
    assert sorted(c.pattern for c in report.contracts) == STYLES[style]["patterns"]
    assert report.unresolved == []


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_structure_is_recognised(style: str) -> None:
    assert structural_check(style_files(style)).errors == []
