"""One model request: cache first, budget reserved, complete answers cached, then the call
recorded through the spend outbox (settling the reservation): a paid answer is durable
before anything else can fail, so a retry finds it and never pays for it again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from codegen_tasks.adapters.cache.requests import lookup, single_flight, store
from codegen_tasks.budget.rules import Hold
from codegen_tasks.domain.records import LLMCallRecord
from codegen_tasks.errors import LLMError
from codegen_tasks.pipeline.budget import capped, reserve_call
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.limits import call_limits
from codegen_tasks.pipeline.pricing import call_cost
from codegen_tasks.pipeline.spend import record_call
from codegen_tasks.pipeline.time_limits import single_flight_s
from codegen_tasks.ports.llm import Completion, CompletionRequest, request_hash

log = logging.getLogger("codegen_tasks.pipeline")

SINGLE_FLIGHT_WAIT_S = 0.25


@dataclass(frozen=True)
class CallContext:
    run_id: str | None
    project_id: str
    node_id: str
    user_id: str | None
    purpose: str = "generate"


@dataclass(frozen=True)
class Answer:
    completion: Completion
    cached: bool
    cost_usd: float


def _record(
    deps: Deps,
    ctx: CallContext,
    request: CompletionRequest,
    outcome: str,
    completion: Completion | None = None,
    cost: float = 0.0,
    error: str | None = None,
    latency_ms: float = 0.0,
    hold: Hold | None = None,
) -> None:
    """Record the call (through the spend outbox); with a reservation, the record replaces
    it (the settlement)."""
    usage = completion.usage if completion else None
    record = LLMCallRecord(
        id=deps.ids(),
        run_id=ctx.run_id,
        project_id=ctx.project_id,
        node_id=ctx.node_id,
        user_id=ctx.user_id,
        purpose=ctx.purpose,
        model=request.model,
        answered_model=completion.model if completion else None,
        request_hash=request_hash(request),
        outcome=outcome,
        finish_reason=completion.finish_reason if completion else None,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        cost_usd=cost,
        latency_ms=latency_ms,
        error=error,
        created_at=deps.clock(),
    )
    record_call(deps, record, hold.id if hold is not None else None)


def _cached(deps: Deps, ctx: CallContext, request: CompletionRequest) -> Answer | None:
    hit = lookup(deps.cache, request)
    if hit is None:
        return None
    _record(deps, ctx, request, "cached", hit)
    return Answer(completion=hit, cached=True, cost_usd=0.0)


def _call(
    deps: Deps, ctx: CallContext, request: CompletionRequest, on_chunk: Callable[[str], None] | None
) -> Answer:
    client = deps.llm()
    with call_limits(deps.settings).slot(request.model):
        hold = reserve_call(
            deps, request, run_id=ctx.run_id, user_id=ctx.user_id, project_id=ctx.project_id
        )
        sent = capped(deps, request, hold)
        started = time.monotonic()
        try:
            if on_chunk is None:
                completion = client.complete(sent)
            else:
                completion = client.complete_streaming(sent, on_chunk)
        except LLMError as exc:
            latency = (time.monotonic() - started) * 1000
            # part of an answer was produced and is charged: at the most it could cost
            cost = hold.amount_usd if hold is not None and exc.billed else 0.0
            _record(deps, ctx, request, "error", None, cost, exc.message, latency, hold)
            raise
        except BaseException:
            if hold is not None:
                deps.history.release(hold.id)
            raise
    store(deps.cache, request, completion, deps.settings.cache_ttl_s)  # durable first
    cost = call_cost(deps, request.model, completion)
    _record(deps, ctx, request, "ok", completion, cost, latency_ms=completion.latency_ms, hold=hold)
    return Answer(completion=completion, cached=False, cost_usd=cost)


def ask(
    deps: Deps,
    request: CompletionRequest,
    ctx: CallContext,
    *,
    on_chunk: Callable[[str], None] | None = None,
    fresh: bool = False,
) -> Answer:
    """The answer to `request`, from the cache when an identical one was answered before
    (`fresh`: from the model, replacing the cached one).

    Identical requests in flight at once make one call: the first holds a lock in the
    cache, the others wait for its answer (and call themselves if it never comes).
    """
    if fresh:
        return _call(deps, ctx, request, on_chunk)
    lock_s = int(single_flight_s(deps.settings))
    deadline = time.monotonic() + lock_s
    while True:
        cached = _cached(deps, ctx, request)
        if cached is not None:
            return cached
        with single_flight(deps.cache, request, lock_s) as acquired:
            if acquired:
                return _cached(deps, ctx, request) or _call(deps, ctx, request, on_chunk)
        if time.monotonic() >= deadline:
            return _call(deps, ctx, request, on_chunk)
        time.sleep(SINGLE_FLIGHT_WAIT_S)
