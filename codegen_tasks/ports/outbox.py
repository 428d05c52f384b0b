"""The spend outbox the pipeline depends on: paid calls kept until the database has them."""

from __future__ import annotations

from typing import Protocol


class Outbox(Protocol):
    """Entries (key -> JSON text) that outlive a database outage, without a TTL.

    Adapters raise CacheError when their store is unreachable: unlike the cache, an outbox
    never pretends a write happened.
    """

    def put(self, key: str, value: str) -> None: ...

    def pending(self) -> dict[str, str]: ...

    def remove(self, key: str) -> None: ...
