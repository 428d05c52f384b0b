"""The cache against a real Redis, and DegradingCache through a Redis that comes and goes."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

from codegen_tasks.cache import DegradingCache, RedisCache
from codegen_tasks.errors import CacheError
from tests.contracts_cache import CacheContract, CacheFactory, OutageCase
from tests.tcp_proxy import TcpProxy, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def cache_factory(redis_url: str) -> Iterator[CacheFactory]:
    clients: list[RedisCache] = []

    def make() -> RedisCache:
        clients.append(RedisCache(redis_url))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def outage(redis_url: str) -> Iterator[OutageCase]:
    """Redis behind a proxy on a port that starts closed."""
    parts = urlsplit(redis_url)
    proxy = TcpProxy(free_port(), (parts.hostname or "127.0.0.1", parts.port or 6379))
    inner = RedisCache(f"redis://127.0.0.1:{proxy.port}{parts.path}")
    yield OutageCase(inner, proxy.stop, proxy.start)
    proxy.stop()
    inner.close()


class TestRedisCacheContract(CacheContract):
    pass


def test_unreachable_redis_raises_cache_error() -> None:
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(CacheError) as caught:
        cache.get("k")
    assert isinstance(caught.value.__cause__, redis.ConnectionError)


def test_degrading_cache_on_closed_port_is_silent() -> None:
    cache = DegradingCache(RedisCache(f"redis://127.0.0.1:{free_port()}/0"))
    assert cache.get("k") is None
    cache.set("k", "v", 60)
    cache.incr_stat("hits")
    with cache.lock("l", 5) as acquired:
        assert acquired
    assert cache.stats() == {}
    assert cache.degraded
