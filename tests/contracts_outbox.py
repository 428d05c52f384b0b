"""Outbox contract: the same test bodies run against memory, file and Redis adapters.

A test module defines an `outbox_factory` fixture (a fresh client on one shared backend,
per call) and subclasses OutboxContract.
"""

from __future__ import annotations

from collections.abc import Callable

from codegen_tasks.ports.outbox import Outbox

OutboxFactory = Callable[[], Outbox]


class OutboxContract:
    def test_entries_are_kept_until_removed(self, outbox_factory: OutboxFactory) -> None:
        outbox = outbox_factory()
        assert outbox.pending() == {}
        outbox.put("call-1", '{"a": 1}')
        outbox.put("call-2", '{"b": "é"}')
        assert outbox.pending() == {"call-1": '{"a": 1}', "call-2": '{"b": "é"}'}
        outbox.remove("call-1")
        outbox.remove("call-1")  # removing twice is harmless (replays race)
        assert outbox.pending() == {"call-2": '{"b": "é"}'}

    def test_another_client_sees_and_removes_the_entries(
        self, outbox_factory: OutboxFactory
    ) -> None:
        writer, reader = outbox_factory(), outbox_factory()
        writer.put("call-1", "x")
        writer.put("call-1", "y")  # the same call kept twice is one entry
        assert reader.pending() == {"call-1": "y"}
        reader.remove("call-1")
        assert writer.pending() == {}
