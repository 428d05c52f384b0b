"""Throwaway PostgreSQL databases for runtime checks: created per check with their own role,
the bundle's migrations applied in file-name order, dropped afterwards. The sandboxed
service reaches them through the server's Unix socket, bound into its sandbox. The driver
(psycopg) is imported when a database is made: a check without one never loads it."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import MIGRATIONS_DIR
from codegen_tasks.errors import CheckDatabaseError

if TYPE_CHECKING:
    import psycopg

SOCKET_INSIDE = "/run/postgresql"


@dataclass(frozen=True)
class Throwaway:
    name: str
    role: str
    password: str
    socket_dir: Path

    def url(self, socket_dir: str) -> str:
        """The database's URL as the service sees it (libpq/pg: socket dir as `host`)."""
        return f"postgresql://{self.role}:{self.password}@localhost/{self.name}?host={socket_dir}"


def migrations(files: list[GeneratedFile]) -> list[GeneratedFile]:
    """The bundle's SQL migrations, in the order they are applied (file name)."""
    found = [
        f
        for f in files
        if f.path.startswith(f"{MIGRATIONS_DIR}/")
        and f.path.count("/") == 1
        and f.path.endswith(".sql")
    ]
    return sorted(found, key=lambda f: f.path)


def _admin_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (`postgresql+psycopg://` → `postgresql://`)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


class PostgresThrowaways:
    """The real adapter over the server named by CODEGEN_CHECK_DATABASE_URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = _admin_url(admin_url)

    def _connect(self, dbname: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
        import psycopg

        try:
            if dbname is None:
                return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10)
            return psycopg.connect(
                self.admin_url, autocommit=True, connect_timeout=10, dbname=dbname
            )
        except psycopg.Error as exc:
            raise CheckDatabaseError(f"check database unreachable: {exc}") from exc

    @contextlib.contextmanager
    def database(self) -> Iterator[Throwaway]:
        """A fresh empty database owned by a fresh role; both dropped on exit."""
        import psycopg
        from psycopg import sql

        suffix = secrets.token_hex(6)
        made = Throwaway(
            name=f"codegen_check_{suffix}",
            role=f"codegen_check_{suffix}",
            password=secrets.token_hex(16),
            socket_dir=Path("/"),
        )
        with self._connect() as conn:
            row = conn.execute("SHOW unix_socket_directories").fetchone()
            socket_dir = str(row[0]).split(",")[0].strip() if row else ""
            if not socket_dir or not Path(socket_dir).is_dir():
                raise CheckDatabaseError(
                    "the check database server has no local Unix socket the sandbox can reach"
                )
            made = Throwaway(made.name, made.role, made.password, Path(socket_dir))
            try:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(made.role), sql.Literal(made.password)
                    )
                )
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(made.name), sql.Identifier(made.role)
                    )
                )
            except psycopg.Error as exc:
                raise CheckDatabaseError(f"cannot create a throwaway database: {exc}") from exc
        try:
            yield made
        finally:
            self._drop(made)

    def migrate(self, made: Throwaway, files: list[GeneratedFile]) -> None:
        """Apply the migrations as the database's own role; the first failure is raised."""
        import psycopg
        from psycopg import sql

        with self._connect(made.name) as conn:
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(made.role)))
            for migration in migrations(files):
                try:
                    conn.execute(migration.content.encode("utf-8"))
                except psycopg.Error as exc:
                    raise CheckDatabaseError(
                        f"migration {migration.path} failed: {exc}".strip(), file=migration.path
                    ) from exc

    def _drop(self, made: Throwaway) -> None:
        from psycopg import sql

        with self._connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(made.name))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(made.role)))
