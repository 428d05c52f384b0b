"""The history store: one class over SQLAlchemy, speaking in records."""

from __future__ import annotations

from codegen_tasks.budget.store import ReservationStore
from codegen_tasks.history.listing import ListingStore
from codegen_tasks.history.results import ResultStore
from codegen_tasks.history.runs import RunNode, RunStore, graph_hash
from codegen_tasks.history.spend import SpendStore

__all__ = ["History", "RunNode", "graph_hash"]


class History(RunStore, ResultStore, SpendStore, ReservationStore, ListingStore):
    """Runs, results, spend, budget reservations and listings over one engine (see the
    stores)."""
