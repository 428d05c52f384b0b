"""The shared reservation store: row-locked SQL in the history database.

SQL rather than Redis because the spend a budget is checked against lives in the history
database: a reservation and the call record that replaces it are written in one transaction,
so no moment counts a call twice or not at all; and embedded mode (SQLite, no Redis) gets
the same guarantee as the workers (PostgreSQL).

Reserving locks one row per budget (`SELECT ... FOR UPDATE` on PostgreSQL, in a fixed
order so two calls never deadlock), then sums what is recorded and what is reserved and
not expired. SQLite has no row locks; there the transaction starts with `BEGIN IMMEDIATE`
(one writer per database file, across processes) and a lock per database serialises the
threads of one process, so the sums are read and the reservation written with no other
reservation in between. A reservation expires at its `expires_at`: a worker killed while
holding one holds it no longer than that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, tuple_

from codegen_tasks.adapters.history.session import (
    SessionStore,
    insert_or_nothing,
    translated_errors,
)
from codegen_tasks.adapters.history.tables import BudgetLockRow, LLMCallRow, ReservationRow
from codegen_tasks.budget.rules import Budget, Claim, Standing, refusal
from codegen_tasks.domain.records import LLMCallRecord

_SQLITE_LOCKS: dict[str, threading.Lock] = {}
_SQLITE_LOCKS_GUARD = threading.Lock()


def _column(table: type[LLMCallRow] | type[ReservationRow], budget: Budget) -> Any:
    return {"run": table.run_id, "user": table.user_id, "project": table.project_id}[budget.scope]


class ReservationStore(SessionStore):
    """Reservations against run, user and project budgets (see the module docstring)."""

    def reserve(self, claim: Claim) -> None:
        """Hold `claim.amount_usd` against each of its budgets, or raise the refusal of the
        first budget whose remainder cannot cover it (nothing is held then)."""
        with self._serialised() as conn:
            _drop_expired(conn, claim.created_at)
            self._lock(conn, claim.budgets)
            for budget in claim.budgets:
                refused = refusal(_standing(conn, budget, claim.created_at), claim.amount_usd)
                if refused is not None:
                    raise refused
            conn.execute(
                insert(ReservationRow).values(
                    id=claim.id,
                    run_id=claim.run_id,
                    user_id=claim.user_id,
                    project_id=claim.project_id,
                    model=claim.model,
                    amount_usd=claim.amount_usd,
                    created_at=claim.created_at,
                    expires_at=claim.expires_at,
                )
            )

    def settle(self, reservation_id: str, record: LLMCallRecord) -> None:
        """Replace the reservation by the call's record (its actual cost), atomically;
        idempotent (a replayed settlement writes nothing twice)."""
        with self._session() as s:
            s.execute(delete(ReservationRow).where(ReservationRow.id == reservation_id))
            s.execute(insert_or_nothing(self.engine, LLMCallRow), record.model_dump())

    def release(self, reservation_id: str) -> None:
        """Drop a reservation whose call never reached (or was never billed by) the model."""
        with self._session() as s:
            s.execute(delete(ReservationRow).where(ReservationRow.id == reservation_id))

    def reserved(self, budget: Budget, now: datetime) -> float:
        """What live (unexpired) reservations hold against `budget`."""
        with translated_errors(), self.engine.connect() as conn:
            return _standing(conn, budget, now).reserved_usd

    @contextmanager
    def _serialised(self) -> Iterator[Connection]:
        """A transaction that no other reservation on this database interleaves with."""
        on_sqlite = self.engine.dialect.name == "sqlite"
        local = _sqlite_lock(str(self.engine.url)) if on_sqlite else nullcontext()
        with local, translated_errors(), self.engine.connect() as conn:
            if on_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
            conn.commit()

    def _lock(self, conn: Connection, budgets: tuple[Budget, ...]) -> None:
        """Lock each budget's row (created on first use), always in the same order."""
        keys = sorted({(b.scope, b.key) for b in budgets})
        rows = [{"scope": scope, "key": key} for scope, key in keys]
        conn.execute(insert_or_nothing(self.engine, BudgetLockRow).values(rows))
        locked = (
            select(BudgetLockRow.scope, BudgetLockRow.key)
            .where(tuple_(BudgetLockRow.scope, BudgetLockRow.key).in_(keys))
            .order_by(BudgetLockRow.scope, BudgetLockRow.key)
            .with_for_update()
        )
        conn.execute(locked).all()


def _drop_expired(conn: Connection, now: datetime) -> None:
    """Delete lapsed reservations, skipping rows another transaction is deleting."""
    lapsed = (
        select(ReservationRow.id)
        .where(ReservationRow.expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    conn.execute(delete(ReservationRow).where(ReservationRow.id.in_(lapsed.scalar_subquery())))


def _standing(conn: Connection, budget: Budget, now: datetime) -> Standing:
    """Spent and reserved, read by ONE statement: a settlement committing in between (its
    reservation gone, its cost recorded) can never be missed by both sums."""
    spent = select(func.coalesce(func.sum(LLMCallRow.cost_usd), 0.0)).where(
        _column(LLMCallRow, budget) == budget.key
    )
    reserved = select(func.coalesce(func.sum(ReservationRow.amount_usd), 0.0)).where(
        _column(ReservationRow, budget) == budget.key, ReservationRow.expires_at > now
    )
    row = conn.execute(select(spent.scalar_subquery(), reserved.scalar_subquery())).one()
    return Standing(budget, spent_usd=float(row[0] or 0.0), reserved_usd=float(row[1] or 0.0))


def _sqlite_lock(url: str) -> threading.Lock:
    with _SQLITE_LOCKS_GUARD:
        return _SQLITE_LOCKS.setdefault(url, threading.Lock())
