"""The outbox in Redis: one hash, no TTL, shared by every worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from codegen_tasks.adapters import keys
from codegen_tasks.adapters.redis_client import call, connect

T = TypeVar("T")


class RedisOutbox:
    def __init__(self, url: str, *, timeout_s: float = 1.0) -> None:
        self.url = url
        self._client: Any = connect(url, timeout_s)

    def _call(self, action: str, operation: Callable[[], T]) -> T:
        return call(action, operation)

    def put(self, key: str, value: str) -> None:
        self._call("outbox_put", lambda: self._client.hset(keys.spend_outbox_key(), key, value))

    def pending(self) -> dict[str, str]:
        entries: dict[str, str] = self._call(
            "outbox_read", lambda: self._client.hgetall(keys.spend_outbox_key())
        )
        return dict(entries)

    def remove(self, key: str) -> None:
        self._call("outbox_remove", lambda: self._client.hdel(keys.spend_outbox_key(), key))

    def close(self) -> None:
        self._client.close()
