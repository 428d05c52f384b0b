"""What a runtime check provides the service besides its code: a throwaway database per
PostgreSQL dependency (its URL in the environment, its socket bound into the sandbox), or
a warning saying why a database dependency is not exercised."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from codegen_tasks.checks.runtime.databases import SOCKET_INSIDE, PostgresThrowaways
from codegen_tasks.checks.runtime.sandbox import Sandbox
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.domain.spec import SQL_DATABASE_TYPES, ServiceSpec
from codegen_tasks.errors import CheckDatabaseError
from codegen_tasks.generation.scaffold.naming import database_url_env

HANDLERS_UNEXERCISED = (
    "handlers and round trips not exercised (boot and health only): "
    "a database dependency has no throwaway database"
)


@dataclass
class Provided:
    sockets: dict[str, Path] = field(default_factory=dict)  # inside path → host socket dir
    env: dict[str, str] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)  # unexercised databases
    problems: list[Finding] = field(default_factory=list)  # databases that failed to set up


def warning(message: str) -> Finding:
    return Finding(level=ValidationLevel.RUNTIME, message=message)


def provide(
    stack: contextlib.ExitStack,
    databases: PostgresThrowaways | None,
    sandbox: Sandbox,
    spec: ServiceSpec,
    files: list[GeneratedFile],
) -> Provided:
    """A throwaway database per SQL dependency (migrations applied), dropped with `stack`."""
    provided = Provided()
    for dep in spec.dependencies:
        if dep.kind != "database":
            continue
        kind = (dep.database_type or "unknown").lower()
        what = _unexercised(kind, databases is not None)
        if what is not None or databases is None:
            provided.warnings.append(warning(f"database {dep.name} ({kind}) not exercised: {what}"))
            continue
        try:
            made = stack.enter_context(databases.database())
            databases.migrate(made, files)
        except CheckDatabaseError as exc:
            where = exc.data.get("file")
            provided.problems.append(
                Finding(
                    level=ValidationLevel.RUNTIME,
                    message=f"database {dep.name}: {exc.message}",
                    file=where if isinstance(where, str) else None,
                )
            )
            continue
        provided.sockets[SOCKET_INSIDE] = made.socket_dir
        inside = sandbox.socket_dir(SOCKET_INSIDE, made.socket_dir)
        provided.env[database_url_env(dep.name)] = made.url(inside)
    return provided


def _unexercised(kind: str, configured: bool) -> str | None:
    """Why a database dependency gets no throwaway database (None: it gets one)."""
    if kind not in SQL_DATABASE_TYPES:
        return "not a SQL database; no check server for it is configurable yet"
    if kind != "postgresql":
        return "throwaway databases are PostgreSQL only"
    return None if configured else "CODEGEN_CHECK_DATABASE_URL is unset"
