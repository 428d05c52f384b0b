"""The benchmark environment: real Redis (a db of its own, flushed), a throwaway PostgreSQL
database (or SQLite), file:// storage in a temp dir, the fake OpenRouter in this process and
real Celery workers as subprocesses started from the Procfile's worker lines."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
import sqlalchemy as sa
from celery import Celery

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from codegen_tasks.wiring import build_deps

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
API_KEY = "sk-or-bench-key"
MODEL = "anthropic/claude-3.5-sonnet"
OWN_PREFIXES = ("CODEGEN_", "OPENROUTER_")
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


@dataclass
class Bench:
    """What a benchmark talks to; `settings` is what the workers run with."""

    tmp: Path
    settings: Settings
    env: dict[str, str]
    fake: FakeOpenRouter
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def deps(self) -> Deps:
        return build_deps(self.settings)


def procfile_commands(env: dict[str, str]) -> dict[str, list[str]]:
    """Every Procfile command by its name, variables expanded, celery run by this Python."""
    commands: dict[str, list[str]] = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if not command.strip():
            continue
        expanded = _VAR.sub(lambda m: env.get(m[1]) or m[2] or "", command)
        argv = shlex.split(expanded)
        commands[name] = [sys.executable, "-m", *argv] if argv[0] == "celery" else argv
    return commands


def procfile_workers(env: dict[str, str]) -> dict[str, list[str]]:
    """The Procfile's `worker-*` commands."""
    return {k: v for k, v in procfile_commands(env).items() if k.startswith("worker-")}


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"codegen_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        open_history.cache_clear()  # drops our engines' pools before the database goes
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def flushed_redis() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_ready(broker_url: str, names: list[str], timeout_s: float = 60.0) -> None:
    """Until every worker answers a ping (bounded)."""
    app = Celery("bench-ping", broker=broker_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5) or []
            answered = {name.split("@")[0] for reply in replies for name in reply}
            if all(n in answered for n in names):
                return
        raise RuntimeError(f"workers {names} not ready in {timeout_s:.0f}s")
    finally:
        app.close()


def _named(argv: list[str], name: str) -> list[str]:
    """The command with its `-n` node name replaced (copies of one process type)."""
    out = list(argv)
    if "-n" in out:
        out[out.index("-n") + 1] = f"{name}@%h"
    return out


def start_workers(bench: Bench, scale: dict[str, int]) -> None:
    """The Procfile's worker processes, `scale[name]` copies of each (default one)."""
    logs = bench.tmp / "logs"
    logs.mkdir(exist_ok=True)
    names: list[str] = []
    for kind, argv in procfile_workers(bench.env).items():
        copies = scale.get(kind, 1)
        for i in range(copies):
            name = kind.removeprefix("worker-") + (str(i) if copies > 1 else "")
            with (logs / f"{name}.log").open("wb") as log:
                process = subprocess.Popen(
                    [*_named(argv, name), "--without-mingle", "-l", "WARNING"],
                    env=bench.env,
                    cwd=bench.tmp,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            bench.workers.append(process)
            names.append(name)
    wait_ready(bench.env["CODEGEN_BROKER_URL"], names)


@contextmanager
def bench_env(
    *,
    latency_s: float,
    concurrency: int = 16,
    llm_processes: int = 1,
    database: str = "postgres",
    workers: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Bench]:
    """Everything up for one benchmark, and torn down again even on error."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="codegen-bench-")))
        redis_url = stack.enter_context(flushed_redis())
        if database == "postgres":
            database_url = stack.enter_context(postgres_database())
        else:
            database_url = f"sqlite:///{tmp / 'codegen.db'}"
        fake = stack.enter_context(
            FakeOpenRouter(api_key=API_KEY, responder=scaffold_answer, latency_s=latency_s)
        )
        values = {
            "OPENROUTER_API_KEY": API_KEY,
            "OPENROUTER_BASE_URL": fake.base_url,
            "OPENROUTER_DEFAULT_MODEL": MODEL,
            "CODEGEN_BROKER_URL": redis_url,
            "CODEGEN_REDIS_URL": redis_url,
            "CODEGEN_DATABASE_URL": database_url,
            "CODEGEN_STORAGE_URL": f"file://{tmp / 'bundles'}",
            "CODEGEN_CACHE_DIR": str(tmp / "cache"),
            "CODEGEN_VALIDATE_TYPESCRIPT": "false",
            "CODEGEN_LLM_CONCURRENCY": str(max(1, concurrency // llm_processes)),
            "CODEGEN_LLM_WORKER_THREADS": str(max(1, concurrency * 2 // llm_processes)),
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env |= extra_env or {}
        env |= values | {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        }
        settings = Settings.model_validate(values)
        open_history(database_url)  # migrate once, before the workers race to
        bench = Bench(tmp=tmp, settings=settings, env=env, fake=fake)
        try:
            if workers:
                start_workers(bench, {"worker-llm": llm_processes})
            yield bench
        except BaseException:
            _show_logs(tmp / "logs")
            raise
        finally:
            for process in bench.workers:
                _stop(process)


def _show_logs(folder: Path, lines: int = 15) -> None:
    """The end of every worker log, to see why a benchmark failed."""
    for log in sorted(folder.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last {len(tail)} lines)", *tail, sep="\n", file=sys.stderr)
