"""The prompt/response cache in Redis, with short timeouts so an outage costs little."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from codegen_tasks import keys
from codegen_tasks.errors import CacheError

T = TypeVar("T")

# Delete the lock only if it still carries our token (it may have expired and been retaken).
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisCache:
    def __init__(self, url: str, *, timeout_s: float = 1.0) -> None:
        self.url = url
        self._client: Any = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
            decode_responses=True,
            health_check_interval=30,
        )

    def _call(self, action: str, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except redis.RedisError as exc:
            raise CacheError(f"redis {action} failed: {exc}", action=action) from exc

    def get(self, key: str) -> str | None:
        value: str | None = self._call("get", lambda: self._client.get(key))
        return value

    def set(self, key: str, value: str, ttl_s: int) -> None:
        self._call("set", lambda: self._client.set(key, value, ex=max(1, ttl_s)))

    @contextmanager
    def lock(self, key: str, ttl_s: int) -> Iterator[bool]:
        token = uuid.uuid4().hex
        acquired = bool(
            self._call("lock", lambda: self._client.set(key, token, nx=True, ex=max(1, ttl_s)))
        )
        try:
            yield acquired
        finally:
            if acquired:
                self._call("unlock", lambda: self._client.eval(RELEASE_SCRIPT, 1, key, token))

    def incr_stat(self, name: str) -> None:
        self._call("incr_stat", lambda: self._client.hincrby(keys.cache_stats_key(), name, 1))

    def stats(self) -> dict[str, int]:
        raw: dict[str, str] = self._call(
            "stats", lambda: self._client.hgetall(keys.cache_stats_key())
        )
        return {name: int(count) for name, count in raw.items()}

    def close(self) -> None:
        self._client.close()
