"""OpenRouter's wire format: reading completions, stream chunks, errors and model prices."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from codegen_tasks.errors import LLMError
from codegen_tasks.ports.llm import Completion, ModelInfo, OnChunk, Usage

NOT_RETRYABLE_STREAM_CODES = frozenset({400, 401, 402, 403})
ErrorFactory = Callable[..., LLMError]  # builds a key-free LLMError from a message


def retryable_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delay-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def parse_usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt = int(raw.get("prompt_tokens") or 0)
    completion = int(raw.get("completion_tokens") or 0)
    cost = raw.get("cost")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=int(raw.get("total_tokens") or prompt + completion),
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
    )


def error_code(error: dict[str, Any]) -> int | None:
    code = error.get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def error_text(error: Any) -> str:
    """OpenRouter's error message, with the upstream provider when it names one."""
    if not isinstance(error, dict):
        return str(error)
    message = str(error.get("message") or "unknown error")
    metadata = error.get("metadata")
    if isinstance(metadata, dict) and metadata.get("provider_name"):
        message += f" (provider: {metadata['provider_name']})"
    return message


def price_per_mtok(value: Any) -> float | None:
    """A per-token USD price string as USD per million tokens; None when unknown."""
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return round(price * 1_000_000, 6) if price >= 0 else None


class StreamState:
    """What an SSE completion stream has said so far."""

    def __init__(self, model: str, on_chunk: OnChunk, fail: ErrorFactory) -> None:
        self.model, self.on_chunk, self.fail = model, on_chunk, fail
        self.parts: list[str] = []
        self.finish_reason: str | None = None
        self.usage = Usage()
        self.generation_id: str | None = None
        self.provider: str | None = None
        self.done = False

    def feed(self, data: str) -> bool:
        """Take one SSE `data` payload; True once the stream is done."""
        if data.strip() == "[DONE]":
            self.done = True
            return True
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise self.fail("Invalid chunk in OpenRouter stream", retryable=True) from exc
        if not isinstance(chunk, dict):
            raise self.fail("Invalid chunk in OpenRouter stream", retryable=True)
        self.model = chunk.get("model") or self.model
        self.generation_id = chunk.get("id") or self.generation_id
        self.provider = chunk.get("provider") or self.provider
        if "error" in chunk:
            self._raise_error(chunk["error"])
        if chunk.get("usage"):
            self.usage = parse_usage(chunk["usage"])
        for choice in chunk.get("choices") or []:
            self._take(choice)
        return False

    def completion(self, latency_ms: float) -> Completion:
        """The whole answer; a stream without `[DONE]` or without content raises."""
        if not self.done:
            raise self.fail("OpenRouter stream ended early (no [DONE])", retryable=True)
        content = "".join(self.parts)
        if not content:
            raise self.fail("No content in OpenRouter response", retryable=True)
        return Completion(
            content=content,
            finish_reason=self.finish_reason,
            model=self.model,
            usage=self.usage,
            latency_ms=latency_ms,
            generation_id=self.generation_id,
            provider=self.provider,
        )

    def _take(self, choice: dict[str, Any]) -> None:
        content = (choice.get("delta") or {}).get("content")
        if content:
            self.parts.append(content)
            self.on_chunk(content)
        reason = choice.get("finish_reason") or choice.get("native_finish_reason")
        if reason == "error":
            self._raise_error({"message": "generation failed (finish_reason: error)"})
        self.finish_reason = reason or self.finish_reason

    def _raise_error(self, error: Any) -> None:
        code = error_code(error) if isinstance(error, dict) else None
        received = sum(map(len, self.parts))
        raise self.fail(
            f"OpenRouter stream failed after {received} characters: {error_text(error)}",
            status=code,
            retryable=code not in NOT_RETRYABLE_STREAM_CODES,
            billed=received > 0,
        )


def completion_from_json(
    body: dict[str, Any], model: str, latency_ms: float, fail: ErrorFactory
) -> Completion:
    """A non-streaming chat-completions answer; errors and empty answers raise."""
    if "error" in body:
        code = error_code(body["error"]) if isinstance(body["error"], dict) else None
        retryable = code is not None and retryable_status(code)
        raise fail(
            f"OpenRouter error: {error_text(body['error'])}", status=code, retryable=retryable
        )
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    reason = choice.get("finish_reason") or choice.get("native_finish_reason")
    if reason == "error":
        raise fail("OpenRouter generation failed (finish_reason: error)", retryable=True)
    content = (choice.get("message") or {}).get("content")
    if not content or not isinstance(content, str):
        raise fail("No content in OpenRouter response", retryable=True)
    return Completion(
        content=content,
        finish_reason=reason,
        model=body.get("model") or model,
        usage=parse_usage(body.get("usage")),
        latency_ms=latency_ms,
        generation_id=body.get("id"),
        provider=body.get("provider"),
    )


def model_info_from_json(entry: dict[str, Any]) -> ModelInfo:
    pricing = entry.get("pricing") or {}
    return ModelInfo(
        id=str(entry["id"]),
        name=str(entry.get("name") or ""),
        context_length=entry.get("context_length"),
        prompt_usd_per_mtok=price_per_mtok(pricing.get("prompt")),
        completion_usd_per_mtok=price_per_mtok(pricing.get("completion")),
    )


def http_error_detail(response: requests.Response) -> str:
    """The error message of a failed HTTP response: OpenRouter's JSON, else the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason or "no details"
    if isinstance(body, dict) and "error" in body:
        return error_text(body["error"])
    return json.dumps(body)[:300]
