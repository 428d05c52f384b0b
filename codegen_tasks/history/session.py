"""The base of the history stores: one engine, transactions that translate database errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from codegen_tasks.errors import HistoryError


class SessionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction; database blips become retryable HistoryErrors."""
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
