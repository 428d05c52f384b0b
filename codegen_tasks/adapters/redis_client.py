"""The Redis connection the cache and the spend outbox share: short timeouts and one try,
so an outage costs little, and Redis errors translated into ours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from codegen_tasks.errors import CacheError

T = TypeVar("T")


def connect(url: str, timeout_s: float) -> Any:
    """A client of `url` that fails fast (one try, `timeout_s` to connect and to answer)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 1),
        decode_responses=True,
        health_check_interval=30,
    )


def call(action: str, operation: Callable[[], T]) -> T:
    """`operation()`, a Redis failure raised as CacheError naming `action`."""
    try:
        return operation()
    except redis.RedisError as exc:
        raise CacheError(f"redis {action} failed: {exc}", action=action) from exc
