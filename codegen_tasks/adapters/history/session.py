"""The base of the history stores: one engine, transactions that translate database errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from codegen_tasks.errors import HistoryError


def insert_or_nothing(engine: Engine, table: Any) -> Any:
    """An INSERT that does nothing when the row's key exists already (`ON CONFLICT DO
    NOTHING`, PostgreSQL's and SQLite's): one statement, no check-then-insert race. On the
    table itself (the ORM's insert path adds nothing for one row); give the row as the
    statement's parameters: building `.values(...)` from them cost more than sending them."""
    dialect = engine.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise HistoryError(f"history needs PostgreSQL or SQLite, not {dialect}", retryable=False)
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(getattr(table, "__table__", table)).on_conflict_do_nothing()


class SessionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # the transaction open in this thread (or task) through `transaction()`, if any
        self._current: ContextVar[Session | None] = ContextVar(f"history-{id(self)}", default=None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every history call inside the block is part of one transaction, committed at its
        end (one round of locks and one commit instead of one per call). Nested blocks join
        the outer one."""
        if self._current.get() is not None:
            yield
            return
        with self._session() as session:
            token = self._current.set(session)
            try:
                yield
            finally:
                self._current.reset(token)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction (or the enclosing `transaction()`); database blips become
        retryable HistoryErrors."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        with translated_errors(), self._sessions.begin() as session:
            yield session


@contextmanager
def translated_errors() -> Iterator[None]:
    """Database blips become retryable HistoryErrors, other database errors final ones."""
    try:
        yield
    except OperationalError as exc:
        raise HistoryError(f"database unavailable: {exc.orig}", retryable=True) from exc
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise HistoryError(f"database error: {exc}", retryable=False) from exc
