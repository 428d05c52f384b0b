"""The one price source: the provider's model list (fetched once per client), else the
built-in table. `--estimate`, budget reservations and recorded costs all read it."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

from codegen_tasks.budget.prices import price_of
from codegen_tasks.errors import LLMError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.ports.llm import Completion, LLMClient, ModelInfo

if TYPE_CHECKING:
    from codegen_tasks.pipeline.generators import Generator

log = logging.getLogger("codegen_tasks.pipeline")

_listed: weakref.WeakKeyDictionary[LLMClient, list[ModelInfo]] = weakref.WeakKeyDictionary()
_mutex = threading.Lock()


def provider_models(client: LLMClient) -> list[ModelInfo]:
    """The provider's priced models, fetched once per client ([] while unavailable)."""
    with _mutex:
        if client not in _listed:
            try:
                _listed[client] = client.list_models()
            except LLMError as exc:
                log.warning(
                    "provider prices unavailable, using the built-in table: %s", exc.message
                )
                return []
        return _listed[client]


def model_price(deps: Deps, model: str) -> tuple[ModelInfo | None, str]:
    """The model's prices and their source (`provider`, `table`, `builtin` or `unknown`)."""
    try:
        client = deps.llm()
    except LLMError:  # no key: the table is all there is
        return price_of(model)
    return price_of(model, provider_models(client))


def generator_price(deps: Deps, generator: Generator) -> tuple[ModelInfo | None, str]:
    """What the generator's calls cost; one that asks no model fetches no price list."""
    return (
        model_price(deps, generator.model) if generator.calls_model else price_of(generator.model)
    )


def call_cost(deps: Deps, requested_model: str, completion: Completion) -> float:
    """USD for one answered call: the provider's `usage.cost`, else tokens x the price of
    the model that answered (else of the one asked for)."""
    if completion.usage.cost_usd is not None:
        return completion.usage.cost_usd
    for model in (completion.model, requested_model):
        info, _ = model_price(deps, model)
        cost = info.cost_of(completion.usage) if info is not None else None
        if cost is not None:
            return cost
    return 0.0
