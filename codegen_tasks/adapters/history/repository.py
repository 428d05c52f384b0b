"""The history store: one class over SQLAlchemy, speaking in records."""

from __future__ import annotations

from codegen_tasks.adapters.history.listing import ListingStore
from codegen_tasks.adapters.history.liveness import LivenessStore
from codegen_tasks.adapters.history.reservations import ReservationStore
from codegen_tasks.adapters.history.results import ResultStore
from codegen_tasks.adapters.history.runs import RunStore, graph_hash
from codegen_tasks.adapters.history.spend import SpendStore

__all__ = ["History", "graph_hash"]


class History(RunStore, ResultStore, SpendStore, ReservationStore, ListingStore, LivenessStore):
    """Runs, results, spend, budget reservations, listings and liveness over one engine (see
    the stores): the HistoryStore port in SQL."""
