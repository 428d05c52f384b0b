"""The budget rules, pure: which budgets apply, a call's maximum cost, and the refusal.

A call's maximum cost is its prompt's token bound times the model's prompt price plus
`max_tokens` times its completion price. The prompt is bounded, not estimated: no tokenizer
we send to (byte-level BPE, SentencePiece with byte fallback) makes more tokens of a text
than its UTF-8 bytes, plus a few tokens of framing per message. A reservation that is a
true maximum is what lets the budget be exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from codegen_tasks.errors import BudgetExceededError
from codegen_tasks.ports.llm import ChatMessage, CompletionRequest, ModelInfo, PriceCap
from codegen_tasks.settings import Settings

Scope = Literal["run", "user", "project"]
MESSAGE_FRAMING_TOKENS = 8  # role and separators around each message
REQUEST_FRAMING_TOKENS = 16  # the assistant turn's opening, and so on


@dataclass(frozen=True)
class Budget:
    """A spend limit on everything recorded under one run, user or project id."""

    scope: Scope
    key: str
    limit_usd: float

    @property
    def label(self) -> str:
        return f"{self.scope} {self.key}"


@dataclass(frozen=True)
class Standing:
    """What a budget has committed when a call asks: recorded spend and live reservations."""

    budget: Budget
    spent_usd: float
    reserved_usd: float


@dataclass(frozen=True)
class Claim:
    """One call's reservation request: its maximum cost against every budget that applies."""

    id: str
    run_id: str | None
    user_id: str | None
    project_id: str
    model: str
    amount_usd: float
    budgets: tuple[Budget, ...]
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Hold:
    """A granted reservation: what the call may cost, and the prices it assumed."""

    id: str
    amount_usd: float
    cap: PriceCap


def budgets_for(
    settings: Settings, *, run_id: str | None, user_id: str | None, project_id: str | None
) -> tuple[Budget, ...]:
    """The budgets a call of this run, user and project counts against."""
    candidates: list[tuple[Scope, str | None, float | None]] = [
        ("run", run_id, settings.budget_usd),
        ("user", user_id, settings.user_budget_usd),
        ("project", project_id, settings.project_budget_usd),
    ]
    return tuple(
        Budget(scope, key, limit)
        for scope, key, limit in candidates
        if key is not None and limit is not None
    )


def prompt_token_bound(messages: list[ChatMessage]) -> int:
    """At most this many prompt tokens, whatever the model's tokenizer."""
    content = sum(len(m.content.encode("utf-8")) + MESSAGE_FRAMING_TOKENS for m in messages)
    return content + REQUEST_FRAMING_TOKENS


def price_cap(price: ModelInfo) -> PriceCap | None:
    """The model's prices as a cap; None when a price is unknown."""
    if price.prompt_usd_per_mtok is None or price.completion_usd_per_mtok is None:
        return None
    return PriceCap(
        prompt_usd_per_mtok=price.prompt_usd_per_mtok,
        completion_usd_per_mtok=price.completion_usd_per_mtok,
    )


def max_cost(request: CompletionRequest, cap: PriceCap) -> float:
    """USD the request can cost at most at these prices."""
    prompt = prompt_token_bound(request.messages) * cap.prompt_usd_per_mtok
    return (prompt + request.max_tokens * cap.completion_usd_per_mtok) / 1_000_000


def claim_for(
    request: CompletionRequest,
    cap: PriceCap,
    budgets: tuple[Budget, ...],
    *,
    ids: tuple[str, str | None, str | None, str],
    now: datetime,
    ttl_s: float,
) -> Claim:
    """The reservation a call asks for; `ids` are (reservation, run, user, project)."""
    reservation_id, run_id, user_id, project_id = ids
    return Claim(
        id=reservation_id,
        run_id=run_id,
        user_id=user_id,
        project_id=project_id,
        model=request.model,
        amount_usd=max_cost(request, cap),
        budgets=budgets,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )


def refusal(standing: Standing, needed_usd: float) -> BudgetExceededError | None:
    """The refusal when the budget's remainder cannot cover `needed_usd`, else None."""
    committed = standing.spent_usd + standing.reserved_usd
    if committed + needed_usd <= standing.budget.limit_usd:
        return None
    return BudgetExceededError(
        standing.budget.label,
        standing.budget.limit_usd,
        standing.spent_usd,
        standing.reserved_usd,
        needed_usd,
    )


def unpriced(budget: Budget, model: str) -> BudgetExceededError:
    """The refusal when a budgeted call's model has no known price: it cannot be reserved."""
    return BudgetExceededError(
        budget.label,
        budget.limit_usd,
        0.0,
        reason=f"the price of model {model} is unknown, so the call cannot be reserved",
    )
