"""OpenRouter's wire protocol for the fake server: behaviours, model catalog, JSON payloads."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codegen_tasks.adapters.llm.memory import estimate_tokens, split_text
from codegen_tasks.budget.prices import MODEL_CATALOG as MODEL_CATALOG

PROVIDERS = {"openai": "OpenAI", "google": "Google AI Studio", "meta-llama": "Together",
             "deepseek": "DeepSeek", "mistralai": "Mistral"}  # fmt: skip
Body = dict[str, Any]
PREFIX = "/api/v1"  # where OpenRouter serves its API


@dataclass(frozen=True)
class Reply:
    """A normal answer; `content`/`model` default to the responder's and the requested."""

    content: str | None = None  # None: the responder's content
    finish_reason: str = "stop"
    model: str | None = None  # None: echo the requested model


@dataclass(frozen=True)
class HttpError:
    """An HTTP error status with OpenRouter's error JSON (and `Retry-After` when given)."""

    status: int
    message: str
    retry_after: str | float | None = None


@dataclass(frozen=True)
class ErrorBody200:
    """HTTP 200 whose body is an error object (streaming: an error event)."""

    code: int | str
    message: str


@dataclass(frozen=True)
class StreamCut:
    """The connection drops after `after_chunks` content chunks (JSON: halfway through)."""

    after_chunks: int = 1


@dataclass(frozen=True)
class MidStreamError:
    """An error event with `finish_reason: error` after `after_chunks` content chunks."""

    after_chunks: int
    code: int | str
    message: str


@dataclass(frozen=True)
class EmptyChoices:
    """An answer with `choices: []`."""


@dataclass(frozen=True)
class Truncated:
    """Half the content with `finish_reason: length`."""


@dataclass(frozen=True)
class Hang:
    """Say nothing for `seconds` before answering normally (for client timeouts)."""

    seconds: float


Behaviour = (
    Reply | HttpError | ErrorBody200 | StreamCut | MidStreamError | EmptyChoices | Truncated | Hang
)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Body | None
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic clock)


def default_responder(body: Body) -> str:
    """A small valid file bundle, whatever was asked."""
    main = "import { NestFactory } from '@nestjs/core';\n"
    return json.dumps({"files": [{"path": "src/main.ts", "content": main}]})


def models_payload() -> Body:
    """GET /models in OpenRouter's shape: prices are USD-per-token strings."""

    def per_token(usd_per_mtok: float) -> str:
        return format(usd_per_mtok / 1_000_000, ".12f").rstrip("0").rstrip(".")

    return {
        "data": [
            {
                "id": model_id,
                "name": name,
                "created": 1_700_000_000,
                "context_length": context,
                "architecture": {"modality": "text->text", "input_modalities": ["text"]},
                "pricing": {"prompt": per_token(p_in), "completion": per_token(p_out)},
                "top_provider": {"context_length": context, "is_moderated": False},
            }
            for model_id, (name, p_in, p_out, context) in MODEL_CATALOG.items()
        ]
    }


def above_price_cap(body: Body) -> bool:
    """True when the request's `provider.max_price` is below the model's price: OpenRouter
    then has no provider to route it to."""
    provider = body.get("provider")
    cap = provider.get("max_price") if isinstance(provider, dict) else None
    entry = MODEL_CATALOG.get(str(body.get("model")))
    if not isinstance(cap, dict) or entry is None:
        return False
    _, p_in, p_out, _ = entry
    limits = ((cap.get("prompt"), p_in), (cap.get("completion"), p_out))
    return any(isinstance(limit, int | float) and limit < price for limit, price in limits)


def error_json(code: int | str, message: str) -> Body:
    return {"error": {"code": code, "message": message}}


@dataclass
class Generation:
    """One answer being produced, and the OpenRouter JSON that carries it."""

    request: Body
    content: str
    model: str
    finish_reason: str
    with_cost: bool = True  # False: like a provider that reports no `usage.cost`
    bill_max_tokens: bool = False  # True: completion tokens billed = the request's max_tokens
    id: str = field(default_factory=lambda: f"gen-{int(time.time())}-{secrets.token_hex(10)}")
    provider: str = field(init=False)

    def __post_init__(self) -> None:
        vendor = self.model.split("/")[0]
        self.provider = PROVIDERS.get(vendor, vendor.capitalize())

    def envelope(self, kind: str) -> Body:
        return {
            "id": self.id,
            "provider": self.provider,
            "model": self.model,
            "object": kind,
            "created": int(time.time()),
        }

    def usage(self) -> Body:
        messages = self.request.get("messages") or []
        prompt = sum(estimate_tokens(str(m.get("content", ""))) for m in messages)
        completion = estimate_tokens(self.content) if self.content else 0
        if self.bill_max_tokens:
            completion = int(self.request.get("max_tokens") or completion)
        _, p_in, p_out, _ = MODEL_CATALOG.get(self.model, ("", 0.0, 0.0, 0))
        cost = (prompt * p_in + completion * p_out) / 1_000_000
        usage: Body = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        return usage | ({"cost": round(cost, 10)} if self.with_cost else {})

    def completion(self, with_choices: bool = True) -> Body:
        message = {"role": "assistant", "content": self.content}
        choice = {
            "index": 0,
            "finish_reason": self.finish_reason,
            "native_finish_reason": self.finish_reason,
            "message": message,
        }
        choices = [choice] if with_choices else []
        return {**self.envelope("chat.completion"), "choices": choices, "usage": self.usage()}

    def chunk(self, content: str, finish_reason: str | None = None) -> Body:
        choice = {
            "index": 0,
            "delta": {"role": "assistant", "content": content},
            "finish_reason": finish_reason,
            "native_finish_reason": finish_reason,
        }
        return {**self.envelope("chat.completion.chunk"), "choices": [choice]}

    def error_chunk(self, code: int | str, message: str) -> Body:
        """A mid-stream failure: OpenRouter's error object plus a `finish_reason: error` choice."""
        choice = {"index": 0, "delta": {"content": ""}, "finish_reason": "error"}
        return {
            **self.envelope("chat.completion.chunk"),
            **error_json(code, message),
            "choices": [choice],
        }

    def usage_chunk(self) -> Body:
        return {**self.envelope("chat.completion.chunk"), "choices": [], "usage": self.usage()}

    def pieces(self) -> list[str]:
        """The content as streamed: several chunks of about four tokens, at most 200."""
        return split_text(self.content, min(200, max(3, len(self.content) // 16)))


def generation_for(
    body: Body,
    behaviour: Behaviour,
    responder: Callable[[Body], str],
    with_cost: bool = True,
    bill_max_tokens: bool = False,
) -> Generation:
    """The answer a behaviour gives to a chat-completions request."""
    content, model, finish = responder(body), str(body["model"]), "stop"
    if isinstance(behaviour, Reply):
        content = content if behaviour.content is None else behaviour.content
        model, finish = behaviour.model or model, behaviour.finish_reason
    elif isinstance(behaviour, Truncated):
        content, finish = content[: max(1, len(content) // 2)], "length"
    elif isinstance(behaviour, EmptyChoices):
        content = ""
    return Generation(body, content, model, finish, with_cost, bill_max_tokens)


def pieces_before_end(gen: Generation, behaviour: Behaviour) -> list[str]:
    """The content chunks streamed before the stream finishes, fails or is cut."""
    if isinstance(behaviour, StreamCut | MidStreamError):
        return gen.pieces()[: behaviour.after_chunks]
    return [] if isinstance(behaviour, ErrorBody200) else gen.pieces()
