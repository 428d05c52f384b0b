"""The outbox contract over the in-memory and file adapters (Redis: integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_tasks.adapters.outbox import FileOutbox, MemoryOutbox
from codegen_tasks.errors import CacheError
from tests.contracts_outbox import OutboxContract, OutboxFactory


class TestMemoryOutbox(OutboxContract):
    @pytest.fixture
    def outbox_factory(self) -> OutboxFactory:
        shared = MemoryOutbox()
        return lambda: shared


class TestFileOutbox(OutboxContract):
    @pytest.fixture
    def outbox_factory(self, tmp_path: Path) -> OutboxFactory:
        return lambda: FileOutbox(tmp_path / "outbox")


def test_an_unwritable_file_outbox_raises_instead_of_pretending(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError) as caught:
        FileOutbox(blocker / "outbox").put("call-1", "x")
    assert caught.value.data["action"] == "outbox_put"
