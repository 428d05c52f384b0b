"""Budgets through real workers at the Procfile's concurrency (LLM worker 32 threads, 16
calls in flight) against a fake OpenRouter answering in 2 s: a budget meant to allow N calls
lets exactly N reach the server, for a run, for a user over two concurrent streaming runs,
and a worker killed while holding a reservation holds it only until it expires."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from codegen_tasks.testing.openrouter_protocol import Hang
from tests.budget_support import (
    ProcfileWorkers,
    budget_for,
    procfile_workers_started,
    project,
    task_results,
)
from tests.fixtures.faults import MODEL, RedisServer, run_finished, services_env, sql, wait_until
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import Worker, cli_json

pytestmark = pytest.mark.integration
__all__ = ["procfile_workers_started"]

RUN_CALLS, USER_CALLS = 5, 7


def _client(redis_url: str, postgres_url: str) -> CodegenClient:
    settings = {"CODEGEN_BROKER_URL": redis_url, "CODEGEN_DATABASE_URL": postgres_url}
    return CodegenClient(Settings.model_validate(settings))


def _enqueue(
    client: CodegenClient, run_id: str, user: str, graph: dict[str, Any], stream: bool = False
) -> None:
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id=user),
        project_id=graph["project"]["id"],
        graph=graph,
        ai_model=MODEL,
        force_regenerate=True,
        stream=stream,
        run_id=run_id,
    )
    client.enqueue("codegen.generate_project", payload)


def _refused(history: History, run_id: str) -> list[Any]:
    return [n for n in history.run_nodes(run_id) if n.error_code == "budget_exceeded"]


def test_run_and_user_budgets_hold_at_the_procfile_concurrency(
    tmp_path: Path,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    procfile_workers_started: list[ProcfileWorkers],
) -> None:
    alone = project("run", 32, "budget-run")
    first, second = project("usa", 16, "budget-u1"), project("usb", 16, "budget-u2")
    run_budget = budget_for(RUN_CALLS, alone, first, second)
    user_budget = budget_for(USER_CALLS, alone, first, second)
    with FakeOpenRouter(
        TEST_API_KEY, scaffold_answer, latency_s=2.0, bill_max_tokens=True
    ) as server:
        env = services_env(
            server,
            private_redis.url,
            postgres_url,
            s3_bucket,
            CODEGEN_BUDGET_USD=str(run_budget),
            CODEGEN_USER_BUDGET_USD=str(user_budget),
        )
        history = open_history(postgres_url)
        procfile_workers_started.append(ProcfileWorkers(env, tmp_path))
        client = _client(private_redis.url, postgres_url)

        _enqueue(client, "run-alone", "alice", alone)
        wait_until(lambda: run_finished(history, "run-alone"), 120, "the run")
        run_calls = server.calls
        _enqueue(client, "run-u1", "bob", first, stream=True)
        _enqueue(client, "run-u2", "bob", second, stream=True)
        for run_id in ("run-u1", "run-u2"):
            wait_until(lambda r=run_id: run_finished(history, r), 120, run_id)
        user_calls = server.calls - run_calls
        streamed = [b for b in server.chat_bodies if b.get("stream")]

    assert run_calls == RUN_CALLS, "a run budget meant for 5 calls let another through"
    assert user_calls == USER_CALLS, "a user budget over two runs let another through"
    assert len(streamed) == USER_CALLS
    assert all(b["provider"]["max_price"] == {"prompt": 3.0, "completion": 15.0}
               for b in server.chat_bodies)  # fmt: skip
    assert history.spent(run_id="run-alone") <= run_budget
    assert 0 < history.spent(user_id="bob") <= user_budget
    assert sql(postgres_url, "select count(*) from budget_reservations")[0][0] == 0

    assert history.run_info("run-alone").status == "partial"
    refused = _refused(history, "run-alone")
    assert len(refused) == 32 - RUN_CALLS and all(n.error_status == 402 for n in refused)
    assert all("run run-alone budget of $" in str(n.error) and "reserved $" in str(n.error)
               for n in refused)  # fmt: skip
    bob = _refused(history, "run-u1") + _refused(history, "run-u2")
    assert len(bob) == 32 - USER_CALLS
    assert {history.run_info(r).status for r in ("run-u1", "run-u2")} == {"partial"}

    generated = [r for r in task_results(private_redis.url) if "errorCode" in r]
    codes = [(r["errorCode"], r["errorStatus"]) for r in generated if r["errorCode"]]
    assert codes.count(("budget_exceeded", 402)) == 64 - RUN_CALLS - USER_CALLS
    history.engine.dispose()
    status = cli_json(["status", "run-alone"], env, tmp_path)
    assert status["status"] == "partial"
    assert sum(s["errorCode"] == "budget_exceeded" for s in status["services"]) == 27


def test_a_killed_workers_reservation_holds_until_it_expires(
    tmp_path: Path,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    graphs = [project(f"hold{i}", 1, f"budget-kill-{i}") for i in range(3)]
    ttl_s = 20.0  # room for a second worker to start and be refused well within it
    with FakeOpenRouter(TEST_API_KEY, scaffold_answer, bill_max_tokens=True) as server:
        server.enqueue(Hang(120))  # the first call never answers: its worker is killed
        env = services_env(
            server,
            private_redis.url,
            postgres_url,
            s3_bucket,
            CODEGEN_USER_BUDGET_USD=str(budget_for(1, *graphs)),
            CODEGEN_BUDGET_RESERVATION_TTL_S=str(ttl_s),
        )
        history = open_history(postgres_url)
        client = _client(private_redis.url, postgres_url)
        doomed = start_worker(env, tmp_path, concurrency=4)
        _enqueue(client, "kill-0", "carol", graphs[0])
        wait_until(lambda: server.calls == 1, 60, "the first call")
        held_since = time.monotonic()
        doomed.kill(signal.SIGKILL)
        assert sql(postgres_url, "select count(*) from budget_reservations")[0][0] == 1

        start_worker(env, tmp_path, concurrency=4)
        _enqueue(client, "kill-1", "carol", graphs[1])
        wait_until(lambda: run_finished(history, "kill-1"), 60, "the refused run")
        refused_before_expiry = time.monotonic() - held_since < ttl_s
        time.sleep(max(0.0, ttl_s - (time.monotonic() - held_since)) + 0.5)
        _enqueue(client, "kill-2", "carol", graphs[2])
        wait_until(lambda: run_finished(history, "kill-2"), 60, "the run after expiry")
        calls = server.calls

    assert refused_before_expiry, "the refused run came after the reservation's expiry"
    (refused,) = history.run_nodes("kill-1")
    assert refused.error_code == "budget_exceeded" and "reserved $0.2" in str(refused.error)
    assert calls == 2 and history.run_info("kill-2").status == "succeeded"
    history.engine.dispose()
