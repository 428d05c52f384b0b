"""Infrastructure faults during a run: the cache's Redis restarted, the S3 endpoint down for a
while, PostgreSQL connections terminated. Each run must complete and lose nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from codegen_tasks.testing import FakeOpenRouter
from tests.fixtures.faults import (
    BackgroundCli,
    RedisServer,
    bucket_keys,
    graph,
    half_written,
    manifests_by_node,
    services_env,
    sql,
    terminate_blocked_writers,
    terminate_connections,
    wait_until,
    write_graph,
)
from tests.fixtures.workers import Worker
from tests.tcp_proxy import TcpProxy, free_port

pytestmark = pytest.mark.integration
NAMES = ("orders", "billing", "stock")


@pytest.fixture
def cache_redis(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "cache-redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.kill()


def generation_rows(postgres_url: str) -> list[tuple[str, str]]:
    rows = sql(postgres_url, "select node_id, status from generation_history order by node_id")
    return [(str(r[0]), str(r[1])) for r in rows]


def assert_nothing_lost(run: dict[str, object], postgres_url: str, s3: tuple[str, str]) -> None:
    assert run["status"] == "succeeded", run
    expected = [(f"n{i}", "succeeded") for i in range(len(NAMES))]
    assert generation_rows(postgres_url) == expected
    keys = bucket_keys(s3)
    assert manifests_by_node(keys) == {f"n{i}": 1 for i in range(len(NAMES))}
    services = run["services"]
    assert isinstance(services, list)
    assert half_written(keys, {s["bundleUri"].split("/", 3)[3] for s in services}) == []


def test_cache_redis_restarted_mid_run_degrades_to_uncached(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    cache_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
    background_cli: Callable[..., BackgroundCli],
) -> None:
    scaffold_server.latency_s = 1.0
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    env["CODEGEN_REDIS_URL"] = cache_redis.url  # the broker stays up on its own server
    worker = start_worker(env, tmp_path, concurrency=1)  # nodes one after another
    cli = background_cli(["generate", str(write_graph(tmp_path, graph(*NAMES)))], env, tmp_path)
    wait_until(lambda: scaffold_server.calls >= 1, 60, "the first model call")
    cache_redis.kill()
    wait_until(lambda: scaffold_server.calls >= 2, 60, "a call while the cache is down")
    cache_redis.start()
    run = cli.finish(timeout=90)
    assert_nothing_lost(run, postgres_url, s3_bucket)
    assert scaffold_server.calls == len(NAMES)
    assert "cache unavailable, continuing uncached" in worker.log.read_text()


def test_s3_down_then_up_uploads_retried_with_backoff(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
    background_cli: Callable[..., BackgroundCli],
) -> None:
    endpoint, _ = s3_bucket
    moto = urlsplit(endpoint)
    proxy = TcpProxy(free_port(), (moto.hostname or "127.0.0.1", moto.port or 80))
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    env["CODEGEN_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{proxy.port}"  # down: nothing listens
    worker = start_worker(env, tmp_path, concurrency=4)
    cli = background_cli(["generate", str(write_graph(tmp_path, graph(*NAMES)))], env, tmp_path)
    wait_until(lambda: "S3" in worker.log.read_text(), 60, "failed uploads")
    up = threading.Timer(2.0, proxy.start)
    up.start()
    try:
        run = cli.finish(timeout=90)
    finally:
        up.cancel()
        proxy.stop()
    assert_nothing_lost(run, postgres_url, s3_bucket)
    assert scaffold_server.calls == len(NAMES)  # retries answered from the cache
    log = worker.log.read_text()
    assert "codegen.generate_service: S3 " in log and "retry 1/10" in log


def test_postgres_connections_terminated_mid_run_are_retried(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
    background_cli: Callable[..., BackgroundCli],
) -> None:
    scaffold_server.latency_s = 0.5
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    worker = start_worker(env, tmp_path, concurrency=4)
    cli = background_cli(["generate", str(write_graph(tmp_path, graph(*NAMES)))], env, tmp_path)
    wait_until(lambda: scaffold_server.calls >= 1, 60, "the first model call")
    # the three workers' node updates (and perhaps the CLI's poll) wait on the lock
    terminated = terminate_blocked_writers(postgres_url, "run_nodes", blocked=3)
    for _ in range(3):  # and the idle pooled connections, a few more times
        time.sleep(0.2)
        terminated += terminate_connections(postgres_url)
    run = cli.finish(timeout=90)
    assert terminated > 0
    assert_nothing_lost(run, postgres_url, s3_bucket)
    log = worker.log.read_text()
    assert "database unavailable: terminating connection" in log and "; retry 1/10" in log
