"""Budget rules and the reservation store: maximum cost, exact refusal, reserve, settle,
release, expiry, and the pipeline's use of them (over in-memory SQLite)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from codegen_tasks.adapters.history.migrate import make_engine, upgrade
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.budget.rules import (
    Budget,
    Claim,
    Standing,
    budgets_for,
    max_cost,
    prompt_token_bound,
    refusal,
)
from codegen_tasks.domain.records import LLMCallRecord
from codegen_tasks.domain.results import RunStatus, ServiceStatus
from codegen_tasks.errors import BudgetExceededError, LLMError
from codegen_tasks.ports.llm import (
    ChatMessage,
    Completion,
    CompletionRequest,
    ModelInfo,
    PriceCap,
    Usage,
)
from codegen_tasks.settings import Settings
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import MODEL, payload

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CAP = PriceCap(prompt_usd_per_mtok=3.0, completion_usd_per_mtok=15.0)
RUN = Budget("run", "run-1", 1.0)


def request(text: str = "hello", max_tokens: int = 1000) -> CompletionRequest:
    return CompletionRequest(
        model=MODEL, messages=[ChatMessage(role="user", content=text)], max_tokens=max_tokens
    )


def claim(amount: float, *budgets: Budget, at: datetime = NOW, ttl_s: float = 60) -> Claim:
    return Claim(
        id=f"r-{amount}-{at.timestamp()}-{threading.get_ident()}-{id(budgets)}",
        run_id="run-1",
        user_id="alice",
        project_id="p",
        model=MODEL,
        amount_usd=amount,
        budgets=budgets or (RUN,),
        created_at=at,
        expires_at=at + timedelta(seconds=ttl_s),
    )


def history() -> History:
    engine = make_engine("sqlite://")
    upgrade(engine)
    return History(engine)


def call_record(cost: float, call_id: str = "call-1") -> LLMCallRecord:
    return LLMCallRecord(
        id=call_id,
        run_id="run-1",
        project_id="p",
        node_id="n",
        user_id="alice",
        purpose="generate",
        model=MODEL,
        request_hash="h",
        outcome="ok",
        cost_usd=cost,
        created_at=NOW,
    )


def test_max_cost_bounds_the_prompt_by_its_bytes_and_takes_the_whole_completion() -> None:
    text = "héllo wörld " * 100
    req = request(text, max_tokens=2000)
    assert prompt_token_bound(req.messages) >= len(text.encode("utf-8"))
    expected = (prompt_token_bound(req.messages) * 3.0 + 2000 * 15.0) / 1e6
    assert max_cost(req, CAP) == pytest.approx(expected)


def test_refusal_is_exact_and_says_budget_spent_and_reserved() -> None:
    assert refusal(Standing(RUN, spent_usd=0.5, reserved_usd=0.25), 0.25) is None
    refused = refusal(Standing(RUN, spent_usd=0.5, reserved_usd=0.25), 0.2500001)
    assert isinstance(refused, BudgetExceededError)
    assert refused.code == "budget_exceeded" and refused.data["status"] == 402
    assert "run run-1 budget of $1.0000" in refused.message
    assert "spent $0.5000" in refused.message and "reserved $0.2500" in refused.message


def test_budgets_apply_by_run_user_and_project() -> None:
    settings = Settings.model_validate(
        {"CODEGEN_BUDGET_USD": 1, "CODEGEN_USER_BUDGET_USD": 2, "CODEGEN_PROJECT_BUDGET_USD": 3}
    )
    found = budgets_for(settings, run_id="r", user_id=None, project_id="p")
    assert [(b.scope, b.key, b.limit_usd) for b in found] == [("run", "r", 1), ("project", "p", 3)]


def test_reservations_count_until_settled_with_the_actual_cost() -> None:
    store = history()
    first = claim(0.4)
    store.reserve(first)
    store.reserve(claim(0.4, at=NOW + timedelta(seconds=1)))
    with pytest.raises(BudgetExceededError) as info:
        store.reserve(claim(0.4, at=NOW + timedelta(seconds=2)))
    assert info.value.data["reserved_usd"] == pytest.approx(0.8)
    store.settle(first.id, call_record(0.1))
    assert store.reserved(RUN, NOW) == pytest.approx(0.4)
    assert store.spent(run_id="run-1") == pytest.approx(0.1)
    store.reserve(claim(0.4, at=NOW + timedelta(seconds=3)))  # 0.1 + 0.4 + 0.4 fits


def test_a_refusal_holds_nothing_against_the_other_budgets() -> None:
    store = history()
    user = Budget("user", "alice", 10.0)
    store.reserve(claim(0.9, RUN, user))
    with pytest.raises(BudgetExceededError):
        store.reserve(claim(0.2, user, RUN, at=NOW + timedelta(seconds=1)))
    assert store.reserved(user, NOW) == pytest.approx(0.9)


def test_released_and_expired_reservations_free_the_budget() -> None:
    store = history()
    held = claim(0.9)
    store.reserve(held)
    store.release(held.id)
    store.reserve(claim(0.9, ttl_s=30))  # a killed worker's: never settled
    with pytest.raises(BudgetExceededError):
        store.reserve(claim(0.9, at=NOW + timedelta(seconds=29)))
    store.reserve(claim(0.9, at=NOW + timedelta(seconds=30)))
    assert store.reserved(RUN, NOW + timedelta(seconds=30)) == pytest.approx(0.9)


def test_concurrent_reservations_grant_exactly_what_fits() -> None:
    store = history()
    granted: list[str] = []
    start = threading.Barrier(24)

    def reserve(i: int) -> None:
        start.wait()
        try:
            store.reserve(claim(0.3, at=NOW + timedelta(microseconds=i)))
        except BudgetExceededError:
            return
        granted.append(f"r{i}")

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 3


PRICE = ModelInfo(id=MODEL, prompt_usd_per_mtok=3.0, completion_usd_per_mtok=15.0)


def whole_allowance(req: CompletionRequest) -> Completion:
    """The scaffold, billed as if it used the request's whole `max_tokens`."""
    usage = Usage(prompt_tokens=1000, completion_tokens=req.max_tokens)
    content = scaffold_answer(req.model_dump())
    return Completion(content=content, finish_reason="stop", model=req.model, usage=usage)


def test_budget_stopped_run_is_partial_and_refusals_carry_code_and_status(
    make_deps: MakeDeps,
) -> None:
    llm = ScriptedLLM(whole_allowance, models=[PRICE])
    per_call = 16000 * 15.0 / 1e6  # the completion allowance alone
    deps = make_deps(llm, CODEGEN_BUDGET_USD=per_call * 2.5)
    result = run_project(deps, payload())
    assert result.status is RunStatus.PARTIAL
    refused = [s for s in result.services if s.status is ServiceStatus.FAILED]
    assert refused and all(s.error_code == "budget_exceeded" for s in refused)
    assert all(s.error_status == 402 for s in refused)
    assert all(r.max_price == PriceCap(prompt_usd_per_mtok=3.0, completion_usd_per_mtok=15.0)
               for r in llm.calls)  # fmt: skip
    spent = deps.history.spent(run_id=result.run_id)
    assert 0 < spent <= per_call * 2.5 and len(llm.calls) <= 2


def test_a_run_its_project_budget_refused_entirely_is_partial(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()), models=[PRICE])
    deps = make_deps(llm, CODEGEN_PROJECT_BUDGET_USD=0.01)
    result = run_project(deps, payload())
    assert result.status is RunStatus.PARTIAL and not llm.calls


def test_unpriced_model_is_refused_under_a_budget(make_deps: MakeDeps) -> None:
    llm = ScriptedLLM(lambda r: scaffold_answer(r.model_dump()))
    deps = make_deps(llm, CODEGEN_BUDGET_USD=100)
    result = run_project(deps, payload(model="x/unpriced"))
    assert not llm.calls
    assert all("price of model x/unpriced is unknown" in (s.error or "") for s in result.services)


def test_billed_failure_keeps_its_reservation_unbilled_one_releases_it(
    make_deps: MakeDeps,
) -> None:
    failures = iter(
        [
            LLMError("stream cut", retryable=False, billed=True),
            LLMError("refused upstream", status=400, retryable=False),
        ]
    )
    llm = ScriptedLLM(lambda r: next(failures), models=[PRICE])
    deps = make_deps(llm, CODEGEN_BUDGET_USD=10, CODEGEN_PRICE_CAP=False)
    from tests.unit.test_pipeline import generate_one

    generate_one(deps, "users", run_id="run-a")
    generate_one(deps, "orders", run_id="run-b")
    billed, unbilled = deps.history.llm_calls("run-a"), deps.history.llm_calls("run-b")
    assert billed[0].cost_usd == pytest.approx(max_cost(llm.calls[0], PRICE_CAP))
    assert unbilled[0].cost_usd == 0.0
    assert deps.history.reserved(Budget("run", "run-b", 10), NOW) == 0.0
    assert all(r.max_price is None for r in llm.calls)


PRICE_CAP = PriceCap(prompt_usd_per_mtok=3.0, completion_usd_per_mtok=15.0)


def test_estimate_and_reservation_read_the_same_prices(make_deps: MakeDeps) -> None:
    from codegen_tasks.checks.graph_input import parse_graph
    from codegen_tasks.cli.estimate import estimate_run
    from tests.examples import shop

    listed = ModelInfo(id=MODEL, prompt_usd_per_mtok=7.0, completion_usd_per_mtok=21.0)
    llm = ScriptedLLM(whole_allowance, models=[listed])
    deps = make_deps(llm, CODEGEN_BUDGET_USD=100)
    estimate = estimate_run(deps, parse_graph(shop()), MODEL, force_regenerate=True)
    assert (estimate.price_source, estimate.prompt_usd_per_mtok) == ("provider", 7.0)
    run_project(deps, payload())
    assert {r.max_price for r in llm.calls} == {
        PriceCap(prompt_usd_per_mtok=7.0, completion_usd_per_mtok=21.0)
    }
