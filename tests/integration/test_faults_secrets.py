"""Money and secrets: costs priced from the model list when the provider reports none, a
per-user budget refusing further calls, `codegen costs`; the API key nowhere (logs, history,
result backend, Flower), Flower behind basic auth as the Procfile starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.settings import Settings
from codegen_tasks.testing import MODEL_CATALOG, FakeOpenRouter, HttpError
from codegen_tasks.testing.echo import scaffold_answer
from tests.fixtures.faults import (
    MODEL,
    PROJECT_ID,
    RedisServer,
    graph,
    run_finished,
    services_env,
    sql,
    wait_until,
    write_graph,
)
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import ROOT, Worker, cli_json, run_cli
from tests.tcp_proxy import free_port

pytestmark = pytest.mark.integration
FLOWER_AUTH = ("ops", "flower-test-password")


def _run(client: CodegenClient, run_id: str, user: str, *names: str) -> None:
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id=user),
        project_id=PROJECT_ID,
        graph=graph(*names),
        ai_model=MODEL,
        force_regenerate=True,
        run_id=run_id,
    )
    client.enqueue("codegen.generate_project", payload)


def test_costs_priced_from_the_model_list_and_user_budget_refuses(
    tmp_path: Path,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    with FakeOpenRouter(
        TEST_API_KEY, scaffold_answer, report_cost=False, bill_max_tokens=True
    ) as server:
        # one call's reservation (~$0.25 at 16k max tokens) fits, a second never does
        env = services_env(
            server, private_redis.url, postgres_url, s3_bucket, CODEGEN_USER_BUDGET_USD="0.3"
        )
        start_worker(env, tmp_path, concurrency=4)
        client = CodegenClient(
            Settings.model_validate(
                {"CODEGEN_BROKER_URL": private_redis.url, "CODEGEN_DATABASE_URL": postgres_url}
            )
        )
        history = open_history(postgres_url)
        _run(client, "budget-1", "alice", "orders", "billing", "stock")
        wait_until(lambda: run_finished(history, "budget-1"), 60, "the run")
        calls = server.calls
    assert calls == 1  # the first call's reservation fit; the others were refused
    rows = sql(postgres_url, "select prompt_tokens, completion_tokens, cost_usd from llm_calls")
    prompt, completion, cost = rows[0]
    _, per_m_in, per_m_out, _ = MODEL_CATALOG[MODEL]
    assert cost == pytest.approx((prompt * per_m_in + completion * per_m_out) / 1e6) and cost > 0
    nodes = history.run_nodes("budget-1")
    refused = [n for n in nodes if n.status.value == "failed"]
    assert len(refused) == 2 and history.run_info("budget-1").status == "partial"
    assert all("user alice budget" in str(n.error) and "refused" in str(n.error) for n in refused)
    history.engine.dispose()
    report = cli_json(["costs", "--by", "user"], env, tmp_path)
    assert [(line["key"], line["calls"]) for line in report["lines"]] == [("alice", 1)]
    assert report["totalUsd"] == pytest.approx(cost)


def _procfile_flower() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("flower:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no flower process in the Procfile")


@pytest.fixture
def flower(private_redis: RedisServer, tmp_path: Path) -> Iterator[str]:
    """Flower started with the Procfile's own command line; its base URL."""
    port = free_port()
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "PORT": str(port),
        "FLOWER_USER": FLOWER_AUTH[0],
        "FLOWER_PASSWORD": FLOWER_AUTH[1],
        "CODEGEN_BROKER_URL": private_redis.url,
    }
    log = (tmp_path / "flower.log").open("w")
    process = subprocess.Popen(
        ["bash", "-c", "exec " + _procfile_flower()],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), 30, "flower")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def test_flower_refuses_to_start_without_a_password() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWER_")}
    env |= {  # the Procfile runs in the project's environment
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        ["bash", "-c", "exec " + _procfile_flower()], env=env, capture_output=True, timeout=30
    )
    assert done.returncode != 0 and b"FLOWER_PASSWORD" in done.stderr
    assert b"Traceback" not in done.stderr


def test_api_key_never_stored_logged_or_shown(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
    flower: str,
) -> None:
    assert requests.get(f"{flower}/api/workers", timeout=5).status_code == 401
    # the provider echoes the key in an error message: it must be redacted everywhere
    scaffold_server.enqueue(HttpError(503, f"upstream refused key {TEST_API_KEY}"))
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    worker = start_worker(env, tmp_path, concurrency=2)
    path = write_graph(tmp_path, graph("orders"))
    done = run_cli(["generate", str(path), "--model", MODEL, "--json"], env, tmp_path, 120)
    assert done.returncode == 0, done.stderr
    assert scaffold_server.calls == 2
    tasks = lambda: requests.get(f"{flower}/api/tasks", auth=FLOWER_AUTH, timeout=5)  # noqa: E731
    wait_until(lambda: len(tasks().json()) >= 5, 30, "flower to see the tasks")
    shown = tasks().text
    assert "<inline>" in shown and "blueprintId" not in shown  # summaries, not graphs
    places = {
        "worker log": worker.log.read_text(),
        "cli output": done.stdout + done.stderr,
        "flower": shown,
        "history": _all_rows(postgres_url),
        "broker and result backend": _all_redis(private_redis.url),
    }
    assert "[redacted]" in places["history"]
    for place, text in places.items():
        assert TEST_API_KEY not in text, place


def _all_rows(postgres_url: str) -> str:
    tables = sql(
        postgres_url,
        "select table_name from information_schema.tables where table_schema = 'public'",
    )
    rows = [sql(postgres_url, f'select row_to_json(t)::text from "{name}" t') for (name,) in tables]
    return "\n".join(str(row[0]) for table in rows for row in table)


def _all_redis(url: str) -> str:
    client = redis.Redis.from_url(url)
    parts: list[str] = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        reader = {
            "string": client.get,
            "list": lambda k: client.lrange(k, 0, -1),
            "hash": client.hgetall,
            "set": client.smembers,
            "zset": lambda k: client.zrange(k, 0, -1),
        }.get(kind)
        parts.append(f"{key!r} {reader(key) if reader else kind!r}")
    client.close()
    return "\n".join(parts)
