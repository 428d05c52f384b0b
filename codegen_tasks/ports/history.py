"""The history interface the pipeline depends on: projects, graph snapshots, runs, results,
spend, budget reservations and liveness (the SQL `History` in `adapters/history` implements it).

Every method raises HistoryError when the store is unreachable (retryable) or refuses a
write, NotFoundError for a run, snapshot or generation it does not hold.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from codegen_tasks.budget.rules import Budget, Claim
from codegen_tasks.domain.records import (
    ContractsRecord,
    CostLine,
    GenerationRecord,
    LLMCallRecord,
    ProjectInfo,
    RunInfo,
    RunNode,
    ValidationRecord,
)
from codegen_tasks.domain.results import BreakingChange, Contract, ServiceStatus, ValidationResult


class Snapshots(Protocol):
    """Projects and the graph snapshots their runs were planned from."""

    def save_snapshot(
        self, project_id: str, name: str, graph: dict[str, Any], now: datetime
    ) -> str: ...

    def latest_snapshot(self, project_id: str) -> dict[str, Any]: ...

    def snapshot(self, snapshot_id: str) -> dict[str, Any]: ...

    def project_ids(self) -> list[str]: ...


class Runs(Protocol):
    """Runs and their live per-node state."""

    def create_run(
        self,
        run: RunInfo,
        snapshot_id: str,
        nodes: list[tuple[str, str, ServiceStatus]],
        cycles: list[list[str]],
        generations: Mapping[str, str] | None = None,
    ) -> bool:
        """False when the run existed already (a redelivered task)."""
        ...

    def set_node(
        self,
        run_id: str,
        node_id: str,
        status: ServiceStatus,
        now: datetime,
        *,
        streamed_tokens: int | None = None,
        generation_id: str | None = None,
        error: str | None = None,
        error_code: str | None = None,
        error_status: int | None = None,
    ) -> None: ...

    def set_streamed(self, run_id: str, node_id: str, tokens: int, now: datetime) -> None: ...

    def finish_run(
        self, run_id: str, status: str, now: datetime, error: str | None = None
    ) -> None: ...

    def set_breaking_changes(self, run_id: str, changes: list[BreakingChange]) -> None: ...

    def breaking_changes(self, run_id: str) -> list[BreakingChange] | None: ...

    def run_info(self, run_id: str) -> RunInfo: ...

    def run_snapshot_id(self, run_id: str) -> str: ...

    def run_cycles(self, run_id: str) -> list[list[str]]: ...

    def run_nodes(self, run_id: str, node_ids: Collection[str] | None = None) -> list[RunNode]:
        """The run's nodes (those of `node_ids` only, when given)."""

    def run_node(self, run_id: str, node_id: str) -> RunNode: ...

    def runs_of_batch(self, batch_id: str) -> list[RunInfo]: ...


class Results(Protocol):
    """Generations and what their checks found."""

    def record_generation(self, record: GenerationRecord) -> GenerationRecord:
        """The stored record: the earlier one when its idempotency key was recorded."""
        ...

    def update_generation(
        self, generation_id: str, status: ServiceStatus, error: str | None = None
    ) -> None: ...

    def generation_by_key(self, key: str) -> GenerationRecord | None: ...

    def generation(self, generation_id: str) -> GenerationRecord: ...

    def node_generation(self, run_id: str, node_id: str) -> tuple[RunNode, GenerationRecord | None]:
        """A run's node and the generation it points at (None while it has none)."""

    def latest_generation(
        self,
        project_id: str,
        node_id: str,
        *,
        succeeded: bool = False,
        before: GenerationRecord | None = None,
    ) -> GenerationRecord | None: ...

    def latest_successes(
        self, project_id: str, node_ids: Collection[str]
    ) -> dict[str, GenerationRecord]:
        """`latest_generation(..., succeeded=True)` of many nodes at once, by node id."""
        ...

    def successes_before(
        self, project_id: str, later: Collection[GenerationRecord]
    ) -> dict[str, GenerationRecord]:
        """`latest_generation(..., succeeded=True, before=g)` of each of `later` at once, by
        node id (nodes without one left out)."""
        ...

    def generations(self, generation_ids: Collection[str]) -> dict[str, GenerationRecord]:
        """Several generations at once, by id (unknown ids left out)."""
        ...

    def record_validation(self, record: ValidationRecord) -> None: ...

    def validation_for(self, generation_id: str) -> ValidationResult | None: ...

    def validations_for(self, generation_ids: Collection[str]) -> dict[str, ValidationResult]:
        """`validation_for` of several generations at once (those without one left out)."""
        ...

    def record_contracts(self, record: ContractsRecord) -> None: ...

    def contracts_for(self, generation_id: str) -> list[Contract]: ...

    def contracts_of(self, generation_ids: Collection[str]) -> dict[str, list[Contract]]:
        """`contracts_for` of several generations at once (every id a key)."""
        ...


class Spend(Protocol):
    """Model calls, what they cost, and the reservations budgets are checked against."""

    def record_llm_call(self, record: LLMCallRecord) -> None: ...

    def llm_calls(self, run_id: str) -> list[LLMCallRecord]: ...

    def spent(self, *, run_id: str | None = None, user_id: str | None = None) -> float: ...

    def costs(
        self,
        group_by: str = "project",
        *,
        project_id: str | None = None,
        user_id: str | None = None,
        since: datetime | None = None,
    ) -> list[CostLine]: ...

    def reserve(self, claim: Claim) -> None:
        """Reserve the claim's cost, or raise BudgetExceededError."""
        ...

    def settle(self, reservation_id: str, record: LLMCallRecord) -> None: ...

    def release(self, reservation_id: str) -> None: ...

    def reserved(self, budget: Budget, now: datetime) -> float: ...


class Listings(Protocol):
    """What is stored, for listings and for closing runs nobody will finish."""

    def runs(self, project_id: str | None = None, limit: int = 50) -> list[RunInfo]: ...

    def projects(self) -> list[ProjectInfo]: ...

    def open_runs(self, project_id: str | None = None) -> dict[str, datetime]: ...


class Liveness(Protocol):
    """What the liveness sweep reads and writes besides the runs (pipeline/liveness.py)."""

    def beat(self, run_id: str, node_id: str, now: datetime) -> None:
        """A task working on the node is alive."""
        ...

    def count_redispatch(self, run_id: str, node_id: str, now: datetime) -> None:
        """The node's remaining steps were sent again: counted, progress from `now`."""
        ...


class HistoryStore(Snapshots, Runs, Results, Spend, Listings, Liveness, Protocol):
    """Everything the pipeline records and reads back, in one store."""

    def transaction(self) -> AbstractContextManager[None]:
        """Every call inside the block is one transaction (nested blocks join the outer)."""
        ...
