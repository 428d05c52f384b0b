"""The LLM interface the pipeline depends on, and the data it exchanges."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from codegen_tasks.domain.modes import GenerationMode


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class PriceCap(BaseModel):
    """The most a request may be charged per million tokens (OpenRouter's
    `provider.max_price`): providers that charge more are not routed to."""

    model_config = ConfigDict(frozen=True)

    prompt_usd_per_mtok: float
    completion_usd_per_mtok: float


class CompletionRequest(BaseModel):
    """One chat-completions request. Its canonical JSON is the cache identity
    (the price cap excepted: it limits who answers, not what the answer is)."""

    model_config = ConfigDict(frozen=True)

    model: str
    messages: list[ChatMessage]
    temperature: float = 0.2
    max_tokens: int = 16000
    prompt_version: str = ""
    mode: GenerationMode = GenerationMode.FULL  # part of the cache identity
    max_price: PriceCap | None = None


def request_hash(request: CompletionRequest) -> str:
    """The request's one identity: sha256 of the canonical JSON (sorted keys) of everything
    that shapes the answer. The cache key, the llm_calls row and the generation record all
    carry it, so a generation joins the call that answered it."""
    payload = {
        "model": request.model,
        "messages": [message.model_dump() for message in request.messages],
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "prompt_version": request.prompt_version,
        "mode": str(request.mode),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None  # OpenRouter's `usage.cost` when reported


class Completion(BaseModel):
    content: str
    finish_reason: str | None = None
    model: str  # the model that actually answered
    usage: Usage = Field(default_factory=Usage)
    latency_ms: float = 0.0
    generation_id: str | None = None
    provider: str | None = None

    @property
    def complete(self) -> bool:
        """Only complete answers (`stop`) may be cached or trusted to be whole."""
        return self.finish_reason in ("stop", "end_turn", "eos")


class ModelInfo(BaseModel):
    id: str
    name: str = ""
    context_length: int | None = None
    prompt_usd_per_mtok: float | None = None
    completion_usd_per_mtok: float | None = None

    def cost_of(self, usage: Usage) -> float | None:
        """Fallback price when the provider reports no cost."""
        if self.prompt_usd_per_mtok is None or self.completion_usd_per_mtok is None:
            return None
        return (
            usage.prompt_tokens * self.prompt_usd_per_mtok
            + usage.completion_tokens * self.completion_usd_per_mtok
        ) / 1_000_000


class ConnectionReport(BaseModel):
    ok: bool
    base_url: str
    model: str
    latency_ms: float = 0.0
    detail: str = ""


OnChunk = Callable[[str], None]


class LLMClient(Protocol):
    def complete(self, request: CompletionRequest) -> Completion: ...

    def complete_streaming(self, request: CompletionRequest, on_chunk: OnChunk) -> Completion: ...

    def test_connection(self, model: str) -> ConnectionReport: ...

    def list_models(self) -> list[ModelInfo]: ...
