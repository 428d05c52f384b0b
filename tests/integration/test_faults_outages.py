"""Outages longer than a blip, under the production retry policy and the Procfile's
workers: PostgreSQL stopped for 10 s while the model answers (every answer paid once and
recorded once), the S3 endpoint gone for 10 s (the node still succeeds)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from tests.budget_support import ProcfileWorkers, procfile_workers_started
from tests.fixtures.faults import (
    MODEL,
    PROJECT_ID,
    RedisServer,
    bucket_keys,
    graph,
    half_written,
    manifests_by_node,
    production_env,
    run_finished,
    sql,
    wait_until,
)
from tests.fixtures.postgres_cluster import PostgresCluster
from tests.tcp_proxy import TcpProxy, free_port

pytestmark = pytest.mark.integration
__all__ = ["procfile_workers_started"]
OUTAGE_S = 10


def start_run(redis_url: str, postgres_url: str, names: list[str], run_id: str) -> None:
    settings = Settings.model_validate(
        {"CODEGEN_BROKER_URL": redis_url, "CODEGEN_DATABASE_URL": postgres_url}
    )
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id="u1"),
        project_id=PROJECT_ID,
        graph=graph(*names),
        ai_model=MODEL,
        run_id=run_id,
    )
    CodegenClient(settings).enqueue("codegen.generate_project", payload)


def wait_for_run(postgres_url: str, run_id: str, timeout: float) -> str:
    history = open_history(postgres_url)
    try:
        wait_until(lambda: run_finished(history, run_id), timeout, f"run {run_id}")
        return history.run_info(run_id).status
    finally:
        history.engine.dispose()


def assert_every_node_once(postgres_url: str, names: list[str], logs: list[Path]) -> None:
    rows = sql(postgres_url, "select node_id, status from generation_history order by node_id")
    expected = sorted((f"n{i}", "succeeded") for i in range(len(names)))
    assert sorted((str(n), str(s)) for n, s in rows) == expected, _tail(logs)


def _tail(logs: list[Path]) -> str:
    return "\n".join(log.read_text()[-3000:] for log in logs)


def test_postgres_stopped_during_model_calls_pays_and_records_each_answer_once(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_cluster: PostgresCluster,
    s3_bucket: tuple[str, str],
    procfile_workers_started: list[ProcfileWorkers],
) -> None:
    names = [f"svc{i}" for i in range(24)]
    scaffold_server.latency_s = 4.0  # the answers arrive while the database is down
    url = postgres_cluster.url
    env = production_env(scaffold_server, private_redis.url, url, s3_bucket)
    workers = ProcfileWorkers(env, tmp_path)
    procfile_workers_started.append(workers)
    start_run(private_redis.url, url, names, "pg-outage")
    wait_until(lambda: scaffold_server.calls >= 12, 120, "model calls in flight")
    postgres_cluster.stop()
    time.sleep(OUTAGE_S)
    postgres_cluster.start()

    status = wait_for_run(url, "pg-outage", 240)
    assert status == "succeeded", _tail(workers.logs)
    assert_every_node_once(url, names, workers.logs)
    assert scaffold_server.calls == len(names)  # none paid twice
    paid = sql(url, "select id, node_id from llm_calls where outcome = 'ok'")
    assert len({row[0] for row in paid}) == len(paid) == len(names)  # every paid call, once
    assert sorted(str(row[1]) for row in paid) == sorted(f"n{i}" for i in range(len(names)))
    logs = _tail(workers.logs)
    assert "kept in the spend outbox" in "".join(log.read_text() for log in workers.logs), logs


def test_s3_endpoint_gone_for_ten_seconds_still_succeeds_under_default_retries(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    procfile_workers_started: list[ProcfileWorkers],
) -> None:
    endpoint, bucket = s3_bucket
    moto = urlsplit(endpoint)
    proxy = TcpProxy(free_port(), (moto.hostname or "127.0.0.1", moto.port or 80))
    proxy.start()
    names = ["orders", "billing", "stock"]
    scaffold_server.latency_s = 1.0
    via_proxy = (f"http://127.0.0.1:{proxy.port}", bucket)
    env = production_env(scaffold_server, private_redis.url, postgres_url, via_proxy)
    workers = ProcfileWorkers(env, tmp_path)
    procfile_workers_started.append(workers)
    up: dict[str, Any] = {}
    try:
        start_run(private_redis.url, postgres_url, names, "s3-outage")
        wait_until(lambda: scaffold_server.calls >= 1, 120, "the first model call")
        proxy.stop()  # every open connection dropped, nothing listens
        up["timer"] = threading.Timer(OUTAGE_S, proxy.start)
        up["timer"].start()
        status = wait_for_run(postgres_url, "s3-outage", 240)
    finally:
        if "timer" in up:
            up["timer"].cancel()
        proxy.stop()
    assert status == "succeeded", _tail(workers.logs)
    assert_every_node_once(postgres_url, names, workers.logs)
    keys = bucket_keys(s3_bucket)
    assert manifests_by_node(keys) == {f"n{i}": 1 for i in range(len(names))}
    assert half_written(keys, {k.split("/files/")[0] for k in keys if "/files/" in k}) == []
    assert scaffold_server.calls == len(names)  # retries answered from the cache
    assert "S3" in "".join(log.read_text() for log in workers.logs)
