"""LLM answers in the cache, keyed by the request's identity (`ports.llm.request_hash`)."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from pydantic import BaseModel, Field, ValidationError

from codegen_tasks.adapters import keys
from codegen_tasks.ports.cache import Cache
from codegen_tasks.ports.llm import Completion, CompletionRequest, Usage, request_hash

log = logging.getLogger(__name__)

HIT = "hits"
MISS = "misses"
STORED = "stores"
NOT_STORED = "not_stored_incomplete"
EVICTED = "evicted_unusable"


class CachedAnswer(BaseModel):
    content: str
    model: str
    finish_reason: str | None
    usage: Usage = Field(default_factory=Usage)
    created: datetime

    @classmethod
    def of(cls, completion: Completion) -> CachedAnswer:
        return cls(
            content=completion.content,
            model=completion.model,
            finish_reason=completion.finish_reason,
            usage=completion.usage,
            created=datetime.now(UTC),
        )

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str) -> CachedAnswer:
        return cls.model_validate_json(raw)

    def to_completion(self) -> Completion:
        return Completion(
            content=self.content,
            finish_reason=self.finish_reason,
            model=self.model,
            usage=self.usage,
            provider="cache",
        )


def lookup(cache: Cache, request: CompletionRequest) -> Completion | None:
    """The cached complete answer for `request`, or None; counts a hit or a miss."""
    raw = cache.get(keys.cache_key(request_hash(request)))
    answer: CachedAnswer | None = None
    if raw is not None:
        try:
            answer = CachedAnswer.from_json(raw)
        except ValidationError:
            log.warning("ignoring a corrupt cache entry for model %s", request.model)
    if answer is None or not answer.to_completion().complete:
        cache.incr_stat(MISS)
        return None
    cache.incr_stat(HIT)
    return answer.to_completion()


def store(cache: Cache, request: CompletionRequest, completion: Completion, ttl_s: int) -> bool:
    """Cache `completion` when it is complete (finish_reason stop); True if stored."""
    if not completion.complete:
        cache.incr_stat(NOT_STORED)
        return False
    cache.set(keys.cache_key(request_hash(request)), CachedAnswer.of(completion).to_json(), ttl_s)
    cache.incr_stat(STORED)
    return True


def evict(cache: Cache, request: CompletionRequest) -> None:
    """Drop the cached answer to `request` (an unusable one: it failed parsing)."""
    cache.delete(keys.cache_key(request_hash(request)))
    cache.incr_stat(EVICTED)


def single_flight(
    cache: Cache, request: CompletionRequest, ttl_s: int
) -> AbstractContextManager[bool]:
    """The lock one worker holds while it asks the model for `request`."""
    return cache.lock(keys.cache_lock_key(request_hash(request)), ttl_s)
