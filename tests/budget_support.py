"""What the budget integration tests share: graphs of like-sized services, the reservation
each node's call makes, budgets meant to allow N calls, and the Procfile's workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bench.harness import procfile_workers, wait_ready
from codegen_tasks.budget.prices import price_of
from codegen_tasks.budget.rules import max_cost, price_cap
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.generation.prompts import generation_messages
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.settings import Settings
from tests.fixtures.faults import MODEL, graph

MAX_TOKENS: int = Settings.model_fields["max_tokens"].default


def services(prefix: str, count: int) -> list[str]:
    """`count` service names of one length: their calls reserve (nearly) the same amount."""
    return [f"{prefix}{i:02d}" for i in range(count)]


def reservations(project: dict[str, Any]) -> list[float]:
    """The maximum cost each code node's generation call reserves (table prices)."""
    parsed = parse_graph(project)
    info, _ = price_of(MODEL)
    assert info is not None
    cap = price_cap(info)
    assert cap is not None
    amounts = []
    for node in parsed.graph.code_nodes():
        spec = build_service_spec(parsed.graph, node.id, parsed.project.name)
        request = CompletionRequest(
            model=MODEL, messages=generation_messages(spec), max_tokens=MAX_TOKENS
        )
        amounts.append(max_cost(request, cap))
    return amounts


def budget_for(calls: int, *projects: dict[str, Any]) -> float:
    """A budget meant to allow `calls` calls: that many reservations and half of one more.
    The fake server bills each answer its whole `max_tokens`, so an answered call settles
    close to its reservation and the half left over never covers another call."""
    amounts = [a for p in projects for a in reservations(p)]
    return calls * max(amounts) + min(amounts) / 2


def project(prefix: str, count: int, project_id: str) -> dict[str, Any]:
    return graph(*services(prefix, count), project_id=project_id)


def task_results(redis_url: str) -> list[dict[str, Any]]:
    """Every task result in the Celery result backend (what Flower shows)."""
    client = redis.Redis.from_url(redis_url)
    try:
        found = []
        for key in client.scan_iter("celery-task-meta-*"):
            raw = client.get(key)
            meta = json.loads(raw) if raw else {}
            if isinstance(meta.get("result"), dict):
                found.append(meta["result"])
        return found
    finally:
        client.close()


class ProcfileWorkers:
    """The Procfile's worker processes (LLM, check, control) at its concurrency."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        names = []
        for kind, argv in procfile_workers(env).items():
            log = cwd / f"{kind}.log"
            with log.open("wb") as out:
                self.processes.append(
                    subprocess.Popen(
                        [*argv, "--without-mingle", "-l", "INFO"],
                        env=env,
                        cwd=cwd,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            self.logs.append(log)
            names.append(kind.removeprefix("worker-"))
        wait_ready(env["CODEGEN_BROKER_URL"], names)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def procfile_workers_started() -> Iterator[list[ProcfileWorkers]]:
    started: list[ProcfileWorkers] = []
    yield started
    for workers in started:
        workers.stop()
