"""The prompt/response cache in Redis, with short timeouts so an outage costs little."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis

from codegen_tasks.adapters import keys
from codegen_tasks.adapters.redis_client import call, connect

T = TypeVar("T")

# Delete the lock only if it still carries our token (it may have expired and been retaken).
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


# Extend the lock only while it still carries our token.
EXTEND_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# A lock is a lease this long, renewed by its holder: a holder that dies (a worker killed
# mid-call) frees it within a lease instead of blocking the prompt for the whole TTL.
LEASE_S = 10.0


class RedisCache:
    def __init__(self, url: str, *, timeout_s: float = 1.0, lease_s: float = LEASE_S) -> None:
        self.url = url
        self.lease_s = lease_s
        self._client: Any = connect(url, timeout_s)

    def _call(self, action: str, operation: Callable[[], T]) -> T:
        return call(action, operation)

    def get(self, key: str) -> str | None:
        value: str | None = self._call("get", lambda: self._client.get(key))
        return value

    def set(self, key: str, value: str, ttl_s: int) -> None:
        self._call("set", lambda: self._client.set(key, value, ex=max(1, ttl_s)))

    def delete(self, key: str) -> None:
        self._call("delete", lambda: self._client.delete(key))

    @contextmanager
    def lock(self, key: str, ttl_s: int) -> Iterator[bool]:
        """Held at most `ttl_s`, as a lease renewed every third of `lease_s` while held."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + max(1, ttl_s)
        lease_ms = round(min(self.lease_s, max(1, ttl_s)) * 1000)
        acquired = bool(
            self._call("lock", lambda: self._client.set(key, token, nx=True, px=lease_ms))
        )
        stop = threading.Event()
        if acquired:
            renew = (key, token, lease_ms, deadline, stop)
            threading.Thread(target=self._renew, args=renew, daemon=True).start()
        try:
            yield acquired
        finally:
            stop.set()
            if acquired:
                self._call("unlock", lambda: self._client.eval(RELEASE_SCRIPT, 1, key, token))

    def _renew(
        self, key: str, token: str, lease_ms: int, deadline: float, stop: threading.Event
    ) -> None:
        """Keep the lease alive until released, never past the lock's deadline."""
        while not stop.wait(lease_ms / 3000):
            left_ms = round((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                return
            try:
                self._client.eval(EXTEND_SCRIPT, 1, key, token, min(lease_ms, left_ms))
            except redis.RedisError:
                return  # the cache is down: the lease lapses, as single-flight degrades

    def incr_stat(self, name: str) -> None:
        self._call("incr_stat", lambda: self._client.hincrby(keys.cache_stats_key(), name, 1))

    def stats(self) -> dict[str, int]:
        raw: dict[str, str] = self._call(
            "stats", lambda: self._client.hgetall(keys.cache_stats_key())
        )
        return {name: int(count) for name, count in raw.items()}

    def close(self) -> None:
        self._client.close()
