"""ScriptedLLM: an in-memory LLMClient for tests, answering through a responder function."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from codegen_tasks.ports.llm import (
    Completion,
    CompletionRequest,
    ConnectionReport,
    ModelInfo,
    OnChunk,
    Usage,
)

Answer = Completion | str | Exception
Responder = Callable[[CompletionRequest], Answer]


def estimate_tokens(text: str) -> int:
    """A rough token count: about four characters a token, at least 1."""
    return max(1, (len(text) + 3) // 4)


def split_text(text: str, pieces: int) -> list[str]:
    """`text` cut into at most `pieces` consecutive, non-empty parts."""
    if not text:
        return []
    size = -(-len(text) // max(1, pieces))
    return [text[start : start + size] for start in range(0, len(text), size)]


class ScriptedLLM:
    """An LLMClient whose answers come from `responder`.

    The responder may return a Completion (returned as is), a str (a `stop` completion with
    estimated usage, priced when the model is among `models`) or an Exception (raised).
    Every completion request is recorded in `calls`, streaming ones included.
    """

    base_url = "memory://scripted"

    def __init__(
        self,
        responder: Responder,
        *,
        models: Sequence[ModelInfo] = (),
        stream_pieces: int = 4,
    ) -> None:
        self._responder = responder
        self._models = {model.id: model for model in models}
        self._stream_pieces = stream_pieces
        self._lock = threading.Lock()
        self.calls: list[CompletionRequest] = []

    @classmethod
    def replying(cls, *answers: Answer, models: Sequence[ModelInfo] = ()) -> ScriptedLLM:
        """A ScriptedLLM giving `answers` in order, one per call; one call too many fails."""
        queue = deque(answers)
        lock = threading.Lock()

        def next_answer(request: CompletionRequest) -> Answer:
            with lock:
                if not queue:
                    raise AssertionError(f"ScriptedLLM has no answer left for {request.model}")
                return queue.popleft()

        return cls(next_answer, models=models)

    def complete(self, request: CompletionRequest) -> Completion:
        with self._lock:
            self.calls.append(request)
            number = len(self.calls)
        started = time.monotonic()
        answer = self._responder(request)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, Completion):
            return answer
        latency_ms = (time.monotonic() - started) * 1000
        return self._completion(request, answer, number, latency_ms)

    def complete_streaming(self, request: CompletionRequest, on_chunk: OnChunk) -> Completion:
        completion = self.complete(request)
        for piece in split_text(completion.content, self._stream_pieces):
            on_chunk(piece)
        return completion

    def test_connection(self, model: str) -> ConnectionReport:
        return ConnectionReport(ok=True, base_url=self.base_url, model=model, detail="scripted LLM")

    def list_models(self) -> list[ModelInfo]:
        return list(self._models.values())

    def _completion(
        self, request: CompletionRequest, content: str, number: int, latency_ms: float
    ) -> Completion:
        prompt_tokens = sum(estimate_tokens(message.content) for message in request.messages)
        completion_tokens = estimate_tokens(content)
        usage = Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )
        info = self._models.get(request.model)
        if info is not None:
            usage.cost_usd = info.cost_of(usage)
        return Completion(
            content=content,
            finish_reason="stop",
            model=request.model,
            usage=usage,
            latency_ms=latency_ms,
            generation_id=f"scripted-{number}",
            provider="scripted",
        )
