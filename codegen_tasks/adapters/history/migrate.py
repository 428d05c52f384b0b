"""Schema migrations with Alembic, run programmatically (`codegen db upgrade`, or on open).

Alembic is imported when the schema is looked at, not with this module. Opening a database
already at the migration scripts' head runs no migration environment (no `env.py`): the
stored revision is compared with the head Alembic reads from the script directory.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from codegen_tasks.adapters.history.repository import History
from codegen_tasks.errors import HistoryError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
_UPGRADE_LOCK = threading.Lock()
_LOCK_ID = 0x636F6467  # advisory lock id: one migrator at a time on PostgreSQL
PING_IDLE_S = 1.0  # a pooled connection unused this long is pinged before its next use


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        in_memory = not database or database == ":memory:"
        if not in_memory:
            Path(database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if in_memory else None,  # one shared in-memory database
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """The pool's pre-ping, for a connection idle for PING_IDLE_S or longer only: a worker's
    steps check a connection out several times a node, milliseconds apart, and a round trip
    each was a tenth of a node's database time. A database gone within that gap fails the
    step's statement instead, a retryable HistoryError like any blip mid-transaction; the
    disconnect invalidates the whole pool either way."""

    @event.listens_for(engine.pool, "checkin")
    def _idle(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
        since = record.info.get("idle_since")  # none yet: connected just now
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # as the pre-ping: reconnect, and every older connection too
            raise InvalidatePoolError(f"ping failed: {exc}") from exc


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: still consistent after a
    # crash or power loss (the last commits may be lost on power loss only); FULL's fsync per
    # transaction made the embedded database the slowest part of a node.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call from several processes at once."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        # Alembic keeps its running migration in module globals: one thread at a time
        # (a thread-pool worker's first tasks all open the history at once).
        with _UPGRADE_LOCK, engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise HistoryError(f"database unavailable: {exc.orig}", retryable=True) from exc


def at_head(engine: Engine) -> bool:
    """Whether the database stores exactly the head revisions of the migration scripts
    (Alembic's script directory and migration context: no migration environment runs)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    try:
        with engine.connect() as conn:
            stored = set(MigrationContext.configure(conn).get_current_heads())
    except OperationalError as exc:
        raise HistoryError(f"database unavailable: {exc.orig}", retryable=True) from exc
    return stored == heads


@lru_cache(maxsize=8)
def open_history(url: str, *, migrate: bool = True) -> History:
    """One History (and engine pool) per URL and process, migrated on first open unless
    its schema is at the head already."""
    engine = make_engine(url)
    if migrate and not at_head(engine):
        upgrade(engine)
    return History(engine)
