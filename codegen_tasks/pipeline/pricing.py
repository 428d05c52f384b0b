"""What a model call cost: the provider's `usage.cost`, else tokens x the listed prices."""

from __future__ import annotations

import logging
import threading

from codegen_tasks.errors import LLMError
from codegen_tasks.llm.base import Completion, LLMClient, ModelInfo

log = logging.getLogger("codegen_tasks.pipeline")

_prices: dict[str, ModelInfo] | None = None
_mutex = threading.Lock()


def _price_list(client: LLMClient) -> dict[str, ModelInfo]:
    """The provider's models by id, fetched once per process (empty when unavailable)."""
    global _prices
    with _mutex:
        if _prices is None:
            try:
                _prices = {model.id: model for model in client.list_models()}
            except LLMError as exc:
                log.warning("model prices unavailable, cost recorded as 0: %s", exc.message)
                return {}
        return _prices


def call_cost(client: LLMClient, requested_model: str, completion: Completion) -> float:
    """USD for one answered call."""
    if completion.usage.cost_usd is not None:
        return completion.usage.cost_usd
    prices = _price_list(client)
    info = prices.get(completion.model) or prices.get(requested_model)
    cost = info.cost_of(completion.usage) if info is not None else None
    return cost or 0.0
