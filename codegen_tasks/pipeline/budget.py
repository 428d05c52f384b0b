"""A model call's reservation, at the edge: budgets from the settings, the price from the
one price source, the hold in the history database."""

from __future__ import annotations

from codegen_tasks.budget.rules import Hold, budgets_for, claim_for, price_cap, unpriced
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.pricing import model_price
from codegen_tasks.pipeline.spend import replay
from codegen_tasks.ports.llm import CompletionRequest


def reserve_call(
    deps: Deps,
    request: CompletionRequest,
    *,
    run_id: str | None,
    user_id: str | None,
    project_id: str,
) -> Hold | None:
    """Reserve the call's maximum cost against every budget that applies (None when none
    does); a budget that cannot cover it raises BudgetExceededError."""
    budgets = budgets_for(deps.settings, run_id=run_id, user_id=user_id, project_id=project_id)
    if not budgets:
        return None
    replay(deps)  # paid calls kept in the outbox count before this one is weighed
    price, _ = model_price(deps, request.model)
    cap = price_cap(price) if price is not None else None
    if cap is None:
        raise unpriced(budgets[0], request.model)
    claim = claim_for(
        request,
        cap,
        budgets,
        ids=(deps.ids(), run_id, user_id, project_id),
        now=deps.clock(),
        ttl_s=deps.settings.budget_reservation_ttl_s,
    )
    deps.history.reserve(claim)
    return Hold(id=claim.id, amount_usd=claim.amount_usd, cap=cap)


def capped(deps: Deps, request: CompletionRequest, hold: Hold | None) -> CompletionRequest:
    """The request as sent: with the reservation's prices as the provider's price cap."""
    if hold is None or not deps.settings.price_cap:
        return request
    return request.model_copy(update={"max_price": hold.cap})
