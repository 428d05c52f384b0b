"""The cache against the memory and file adapters, and the pure request/answer helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.adapters.cache import (
    Cache,
    CachedAnswer,
    DegradingCache,
    FileCache,
    MemoryCache,
    RedisCache,
    cache_from_settings,
    request_hash,
)
from codegen_tasks.errors import CacheError
from codegen_tasks.ports.llm import ChatMessage
from codegen_tasks.settings import Settings
from tests.contracts_cache import REQUEST, CacheContract, CacheFactory, OutageCase, answer


@pytest.fixture(params=["memory", "file"])
def cache_factory(request: pytest.FixtureRequest, tmp_path: Path) -> CacheFactory:
    if request.param == "memory":
        shared = MemoryCache()
        return lambda: shared
    return lambda: FileCache(tmp_path / "cache")


class FlakyCache:
    """Delegates to `inner` unless `down`, when every operation raises CacheError."""

    def __init__(self, inner: Cache) -> None:
        self.inner = inner
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise CacheError("simulated outage")

    def get(self, key: str) -> str | None:
        self._check()
        return self.inner.get(key)

    def set(self, key: str, value: str, ttl_s: int) -> None:
        self._check()
        self.inner.set(key, value, ttl_s)

    def lock(self, key: str, ttl_s: int) -> AbstractContextManager[bool]:
        self._check()
        return self.inner.lock(key, ttl_s)

    def incr_stat(self, name: str) -> None:
        self._check()
        self.inner.incr_stat(name)

    def stats(self) -> dict[str, int]:
        self._check()
        return self.inner.stats()


@pytest.fixture
def outage(cache_factory: CacheFactory) -> Iterator[OutageCase]:
    flaky = FlakyCache(cache_factory())

    def switch(down: bool) -> None:
        flaky.down = down

    yield OutageCase(flaky, lambda: switch(True), lambda: switch(False))


class TestCacheContract(CacheContract):
    pass


def test_request_hash_is_canonical_and_sensitive() -> None:
    same = REQUEST.model_copy()
    assert request_hash(same) == request_hash(REQUEST)
    assert len(request_hash(REQUEST)) == 64
    changes: list[dict[str, Any]] = [
        {"model": "openai/gpt-4o"},
        {"temperature": 0.3},
        {"max_tokens": 8000},
        {"prompt_version": "v2"},
        {"messages": [*REQUEST.messages, ChatMessage(role="user", content="more")]},
    ]
    hashes = {request_hash(REQUEST.model_copy(update=change)) for change in changes}
    assert len(hashes) == len(changes)
    assert request_hash(REQUEST) not in hashes


def test_cached_answer_json_round_trip() -> None:
    cached = CachedAnswer.of(answer("stop"))
    again = CachedAnswer.from_json(cached.to_json())
    assert again == cached
    assert again.to_completion().complete


def test_file_cache_unwritable_dir_raises_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = FileCache(blocker / "cache")
    with pytest.raises(CacheError):
        cache.set("k", "v", 60)
    degrading = DegradingCache(cache)
    degrading.set("k", "v", 60)
    assert degrading.get("k") is None


def test_cache_from_settings(tmp_path: Path) -> None:
    local = cache_from_settings(Settings(CODEGEN_CACHE_DIR=tmp_path / "c", CODEGEN_REDIS_URL=None))
    assert isinstance(local, DegradingCache)
    assert isinstance(local.inner, FileCache)
    local.set("k", "v", 60)
    assert FileCache(tmp_path / "c").get("k") == "v"
    remote = cache_from_settings(Settings(CODEGEN_REDIS_URL="redis://127.0.0.1:6379/9"))
    assert isinstance(remote, DegradingCache)
    assert isinstance(remote.inner, RedisCache)


def test_a_lock_whose_holder_died_is_free(tmp_path: Path) -> None:
    """A process killed mid-call leaves its lock file; the next one does not wait it out."""
    cache = FileCache(tmp_path / "cache")
    with cache.lock("k", ttl_s=600) as first:
        assert first
        with cache.lock("k", ttl_s=600) as second:
            assert not second  # a live holder (this process) keeps it
        path = next((tmp_path / "cache" / "locks").glob("*.json"))
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        held = json.loads(path.read_text()) | {"pid": int(gone.stdout)}
        path.write_text(json.dumps(held))
        with cache.lock("k", ttl_s=600) as third:
            assert third  # its holder has exited
