"""The cache against a real Redis, and DegradingCache through a Redis that comes and goes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

from codegen_tasks.adapters.cache import DegradingCache, RedisCache
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


def test_a_live_holder_keeps_its_lock_past_the_lease(redis_url: str) -> None:
    holder, other = RedisCache(redis_url, lease_s=1), RedisCache(redis_url, lease_s=1)
    with holder.lock("codegen:test:lease", 60) as held:
        assert held
        time.sleep(2.5)
        with other.lock("codegen:test:lease", 60) as taken:
            assert not taken


def test_a_dead_holders_lock_is_free_within_a_lease(redis_url: str) -> None:
    """A worker killed mid-call leaves its lock; it lapses after one lease, not the TTL."""
    script = (
        "import os, sys\n"
        "from codegen_tasks.adapters.cache.redis_cache import RedisCache\n"
        "lock = RedisCache(sys.argv[1], lease_s=1).lock('codegen:test:dead', 300)\n"
        "assert lock.__enter__()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, redis_url], check=True, timeout=30)
    other = RedisCache(redis_url)
    with other.lock("codegen:test:dead", 60) as taken:
        assert not taken
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with other.lock("codegen:test:dead", 60) as taken:
            if taken:
                return
        time.sleep(0.1)
    raise AssertionError("the dead holder's lock was not freed within a lease")
