"""Cache contract: the same test bodies run against memory, file and Redis adapters.

A test module defines `cache_factory` (a fresh client on one shared backend, per call) and
`outage` (a cache that can be made unreachable and reachable again) fixtures, and
subclasses CacheContract.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from codegen_tasks.adapters import keys
from codegen_tasks.adapters.cache import Cache, DegradingCache, lookup, request_hash, store
from codegen_tasks.ports.llm import ChatMessage, Completion, CompletionRequest, Usage

CacheFactory = Callable[[], Cache]

REQUEST = CompletionRequest(
    model="anthropic/claude-3.5-sonnet",
    messages=[
        ChatMessage(role="system", content="You write NestJS services."),
        ChatMessage(role="user", content="Service: orders"),
    ],
    prompt_version="v1",
)
USAGE = Usage(prompt_tokens=10, completion_tokens=20, total_tokens=30, cost_usd=0.001)


def answer(finish_reason: str | None) -> Completion:
    return Completion(content='{"files": []}', finish_reason=finish_reason, model="m", usage=USAGE)


@dataclass
class OutageCase:
    inner: Cache
    down: Callable[[], None]
    up: Callable[[], None]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CacheContract:
    def test_delete_drops_a_value(self, cache_factory: CacheFactory) -> None:
        cache = cache_factory()
        cache.set("codegen:test:gone", "v", 60)
        cache.delete("codegen:test:gone")
        cache.delete("codegen:test:never-set")  # deleting what is absent is harmless
        assert cache.get("codegen:test:gone") is None

    def test_get_set_round_trip(self, cache_factory: CacheFactory) -> None:
        cache = cache_factory()
        assert cache.get("codegen:test:missing") is None
        cache.set("codegen:test:k", "välue", 60)
        cache.set("codegen:test:k", "value ✓", 60)
        assert cache.get("codegen:test:k") == "value ✓"
        assert cache_factory().get("codegen:test:k") == "value ✓"

    def test_ttl_expiry(self, cache_factory: CacheFactory) -> None:
        cache = cache_factory()
        cache.set("codegen:test:short", "v", 1)
        cache.set("codegen:test:long", "v", 60)
        assert cache.get("codegen:test:short") == "v"
        time.sleep(1.3)
        assert cache.get("codegen:test:short") is None
        assert cache.get("codegen:test:long") == "v"

    def test_lock_is_exclusive(self, cache_factory: CacheFactory) -> None:
        first, second = cache_factory(), cache_factory()
        with first.lock("codegen:test:lock", 30) as held:
            assert held
            with second.lock("codegen:test:lock", 30) as other:
                assert not other
            with first.lock("codegen:test:lock", 30) as again:
                assert not again
            with second.lock("codegen:test:other-lock", 30) as unrelated:
                assert unrelated
        with second.lock("codegen:test:lock", 30) as after_release:
            assert after_release

    def test_lock_expires_and_is_not_released_by_its_old_holder(
        self, cache_factory: CacheFactory
    ) -> None:
        first, second = cache_factory(), cache_factory()
        holder = first.lock("codegen:test:lock", 1)
        assert holder.__enter__()
        time.sleep(1.3)
        with second.lock("codegen:test:lock", 30) as taken_over:
            assert taken_over
            holder.__exit__(None, None, None)  # expired: must not release second's lock
            with first.lock("codegen:test:lock", 30) as third:
                assert not third

    def test_stats_count(self, cache_factory: CacheFactory) -> None:
        cache = cache_factory()
        cache.incr_stat("hits")
        cache.incr_stat("hits")
        cache_factory().incr_stat("misses")
        assert cache.stats() == {"hits": 2, "misses": 1}

    def test_only_complete_answers_are_cached(self, cache_factory: CacheFactory) -> None:
        cache = cache_factory()
        assert lookup(cache, REQUEST) is None
        assert not store(cache, REQUEST, answer("length"), 60)
        assert not store(cache, REQUEST, answer(None), 60)
        assert lookup(cache, REQUEST) is None
        assert store(cache, REQUEST, answer("stop"), 60)
        found = lookup(cache_factory(), REQUEST)
        assert found is not None
        assert (found.content, found.finish_reason, found.model) == ('{"files": []}', "stop", "m")
        assert found.usage == USAGE
        other = REQUEST.model_copy(update={"prompt_version": "v2"})
        assert lookup(cache, other) is None
        stats = cache.stats()
        assert (stats["hits"], stats["misses"], stats["stores"]) == (1, 3, 1)

    def test_corrupt_entry_is_a_miss(self, cache_factory: CacheFactory) -> None:
        cache = cache_factory()
        cache.set(keys.cache_key(request_hash(REQUEST)), "{not json", 60)
        assert lookup(cache, REQUEST) is None

    def test_degrades_and_recovers(
        self, outage: OutageCase, caplog: pytest.LogCaptureFixture
    ) -> None:
        clock = FakeClock()
        cache = DegradingCache(outage.inner, cooldown_s=5.0, clock=clock)
        outage.down()
        with caplog.at_level(logging.WARNING, logger="codegen_tasks.adapters.cache.degrading"):
            assert cache.get("codegen:test:k") is None
            cache.set("codegen:test:k", "v", 60)
            cache.incr_stat("hits")
            with cache.lock("codegen:test:lock", 5) as acquired:
                assert acquired
            assert store(cache, REQUEST, answer("stop"), 60)
            assert lookup(cache, REQUEST) is None
            clock.advance(6)
            assert cache.get("codegen:test:k") is None  # tried again, still down
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
        assert cache.degraded
        outage.up()
        outage.inner.set("codegen:test:k", "direct", 60)
        assert cache.get("codegen:test:k") is None  # cooling down: the inner cache is not asked
        clock.advance(6)
        assert cache.get("codegen:test:k") == "direct"
        assert not cache.degraded
        cache.set("codegen:test:k2", "v2", 60)
        assert outage.inner.get("codegen:test:k2") == "v2"
