"""The model client of an embedded run: it tells the run's batched checks which nodes have
their answers in (see `checks.static.batching.Arrivals`)."""

from __future__ import annotations

from codegen_tasks.checks.static.batching import Arrivals
from codegen_tasks.ports.llm import (
    Completion,
    CompletionRequest,
    ConnectionReport,
    LLMClient,
    ModelInfo,
    OnChunk,
)


class AnsweredLLM:
    """The run's model client: a node's thread is on its way to its check once an answer
    is in, and no longer while it waits for the model."""

    def __init__(self, inner: LLMClient, arrivals: Arrivals) -> None:
        self._inner = inner
        self._arrivals = arrivals

    def complete(self, request: CompletionRequest) -> Completion:
        self._arrivals.gone()
        completion = self._inner.complete(request)
        self._arrivals.answered()
        return completion

    def complete_streaming(self, request: CompletionRequest, on_chunk: OnChunk) -> Completion:
        self._arrivals.gone()
        completion = self._inner.complete_streaming(request, on_chunk)
        self._arrivals.answered()
        return completion

    def test_connection(self, model: str) -> ConnectionReport:
        return self._inner.test_connection(model)

    def list_models(self) -> list[ModelInfo]:
        return self._inner.list_models()
