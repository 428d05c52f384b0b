"""Every run closes: the Procfile's workers and beat (the liveness sweep) with production
defaults but a short visibility timeout and sweep interval, while the broker Redis is
restarted, PostgreSQL is down for 30 s, the result backend drops, or a worker of each queue
is SIGKILLed. Each run ends closed, every node recorded once, the CLI prints its JSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from codegen_tasks.api.registry import CONTROL_QUEUE
from codegen_tasks.testing import FakeOpenRouter
from tests.fixtures.faults import (
    MODEL,
    BackgroundCli,
    RedisServer,
    graph,
    sql,
    wait_until,
    write_graph,
)
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.postgres_cluster import PostgresCluster
from tests.fixtures.s3 import FAKE_ENV
from tests.fixtures.workers import ProcfileProcess, clean_env

pytestmark = pytest.mark.integration
NAMES = ("orders", "billing", "stock", "users")
# the only departures from the defaults: redelivery and sweeps within seconds, not minutes;
# no compiler (the check levels are not what is tested) unless a test says otherwise
LIVENESS = {
    "CODEGEN_VISIBILITY_TIMEOUT_S": "20",
    "CODEGEN_SWEEP_INTERVAL_S": "2",
    "CODEGEN_VALIDATE_TYPESCRIPT": "false",
}
Procfile = Callable[..., dict[str, ProcfileProcess]]


def liveness_env(
    server: FakeOpenRouter,
    broker: str,
    database: str,
    s3: tuple[str, str],
    folder: Path,
    **extra: str,
) -> dict[str, str]:
    endpoint, bucket = s3
    return clean_env(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=server.base_url,
        CODEGEN_BROKER_URL=broker,
        CODEGEN_REDIS_URL=broker,
        CODEGEN_DATABASE_URL=database,
        CODEGEN_STORAGE_URL=f"s3://{bucket}/bundles",
        CODEGEN_S3_ENDPOINT_URL=endpoint,
        CODEGEN_BEAT_SCHEDULE_FILE=str(folder / "beat-schedule"),
        **(FAKE_ENV | LIVENESS | extra),
    )


def start_run(
    background_cli: Callable[..., BackgroundCli], env: dict[str, str], folder: Path
) -> BackgroundCli:
    path = write_graph(folder, graph(*NAMES))
    return background_cli(["generate", str(path), "--model", MODEL], env, folder)


def assert_closed_once(run: dict[str, Any], database: str) -> None:
    """The run succeeded and is closed; one generation record and one final state per node."""
    assert run["status"] == "succeeded", run
    assert [s["status"] for s in run["services"]] == ["succeeded"] * len(NAMES)
    rows = sql(database, "select node_id, count(*) from generation_history group by node_id")
    assert sorted((str(n), int(c)) for n, c in rows) == [(f"n{i}", 1) for i in range(len(NAMES))]
    open_runs = sql(database, "select id from runs where finished_at is null")
    assert open_runs == []


def project_task_queued(broker: RedisServer) -> bool:
    """The CLI sent the project task (it waits on the control queue)."""
    client = redis.Redis.from_url(broker.url)
    try:
        return any(b"codegen.generate_project" in m for m in client.lrange(CONTROL_QUEUE, 0, -1))
    finally:
        client.close()


def node_states(database: str) -> list[tuple[str, bool]]:
    """Each node's status and whether a task beats for it (none before the schema is)."""
    try:
        rows = sql(database, "select status, heartbeat_at is not null from run_nodes")
    except sa.exc.ProgrammingError:
        return []
    return [(str(status), bool(beating)) for status, beating in rows]


def test_broker_redis_restarted_mid_run_every_run_closes(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    procfile: Procfile,
    background_cli: Callable[..., BackgroundCli],
) -> None:
    scaffold_server.latency_s = 3.0
    # two generation threads: two calls in flight, the other two messages wait in Redis
    env = liveness_env(
        scaffold_server, private_redis.url, postgres_url, s3_bucket, tmp_path,
        CODEGEN_LLM_WORKER_THREADS="2",
    )  # fmt: skip
    processes = procfile(env, tmp_path)
    cli = start_run(background_cli, env, tmp_path)
    wait_until(lambda: scaffold_server.calls >= 2, 60, "two model calls in flight")
    private_redis.kill()  # queued messages, reserved ones, results and the chord counter go
    time.sleep(2)
    private_redis.start()

    run = cli.finish(timeout=300)
    assert_closed_once(run, postgres_url)
    sweeps = processes["worker-control"].logs()
    assert "liveness sweep: " in sweeps  # the lost messages were sent again by the sweep


def test_postgres_down_for_30s_mid_run_every_run_closes(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_cluster: PostgresCluster,
    s3_bucket: tuple[str, str],
    procfile: Procfile,
    background_cli: Callable[..., BackgroundCli],
) -> None:
    database = postgres_cluster.create_database("codegen")
    scaffold_server.latency_s = 2.0
    env = liveness_env(scaffold_server, private_redis.url, database, s3_bucket, tmp_path)
    processes = procfile(env, tmp_path)
    cli = start_run(background_cli, env, tmp_path)
    wait_until(lambda: scaffold_server.calls >= 1, 60, "a model call")
    postgres_cluster.stop()
    time.sleep(30)
    postgres_cluster.start()

    run = cli.finish(timeout=300)
    assert_closed_once(run, database)
    logs = "".join(p.logs() for p in processes.values())
    assert "database unavailable" in logs


def test_result_backend_dropped_mid_run_the_cli_follows_history(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    procfile: Procfile,
    background_cli: Callable[..., BackgroundCli],
) -> None:
    folder = tmp_path / "results-redis"
    folder.mkdir()
    results = RedisServer(folder)
    results.start()
    try:
        scaffold_server.latency_s = 2.0
        env = liveness_env(
            scaffold_server, private_redis.url, postgres_url, s3_bucket, tmp_path,
            CODEGEN_RESULT_BACKEND=results.url,
        )  # fmt: skip
        processes = procfile(env, tmp_path)
        processes["worker-control"].kill()  # the project task stays queued: the CLI asks
        cli = start_run(background_cli, env, tmp_path)  # the backend for its state
        wait_until(lambda: project_task_queued(private_redis), 60, "the project task sent")
        results.kill()  # down longer than Celery's own reconnect attempts (20 s)
        time.sleep(25)
        processes["worker-control"].start()  # planning waits for the backend's return
        time.sleep(3)
        results.start()
        wait_until(lambda: scaffold_server.calls >= 1, 60, "a model call")
        results.kill()  # and once more mid-run: the workers' result writes wait (retried)
        time.sleep(5)
        results.start()

        run = cli.finish(timeout=300)
        assert_closed_once(run, postgres_url)
        assert "result backend unavailable" in cli.stderr, cli.stderr
        assert "following the run in history" in cli.stderr and "Traceback" not in cli.stderr
    finally:
        results.kill()


@pytest.mark.parametrize("name", ["worker-llm", "worker-check", "worker-control"])
def test_a_killed_worker_of_each_queue_every_run_closes(
    name: str,
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    procfile: Procfile,
    background_cli: Callable[..., BackgroundCli],
) -> None:
    scaffold_server.latency_s = 3.0
    # the check worker is killed while it compiles: the compiler on (no runtime check)
    checks = {"CODEGEN_VALIDATE_TYPESCRIPT": "true", "CODEGEN_RUNTIME_CHECK": "false"}
    extra = checks | {"CODEGEN_VISIBILITY_TIMEOUT_S": "40"} if name == "worker-check" else {}
    env = liveness_env(
        scaffold_server, private_redis.url, postgres_url, s3_bucket, tmp_path, **extra
    )
    processes = procfile(env, tmp_path)
    cli = start_run(background_cli, env, tmp_path)
    if name == "worker-check":  # a validation running (its task beats)
        busy = lambda: ("validating", True) in node_states(postgres_url)  # noqa: E731
        wait_until(busy, 120, "a validation in progress")
    else:
        wait_until(lambda: scaffold_server.calls >= 2, 60, "model calls in flight")
    processes[name].kill()  # SIGKILL to the whole process group: no ack, no cleanup
    if name == "worker-control":  # down until every node is done: the callback waits
        done = lambda: {s for s, _ in node_states(postgres_url)} == {"succeeded"}  # noqa: E731
        wait_until(done, 120, "every node done")
    else:
        time.sleep(1)
    processes[name].start()

    run = cli.finish(timeout=300)
    assert_closed_once(run, postgres_url)
