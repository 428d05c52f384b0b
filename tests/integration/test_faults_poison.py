"""Poison messages and bad payloads against a real worker: a message no worker can read is
rejected to the dead-letter list with its reason, logged once, and the worker keeps serving;
a payload that does not validate fails its task with field-level problems before any write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from codegen_tasks.api.client import CodegenClient
from codegen_tasks.errors import CodegenError
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from tests.fixtures.faults import (
    MODEL,
    RedisServer,
    graph,
    services_env,
    sql,
    wait_until,
    write_graph,
)
from tests.fixtures.workers import Worker, cli_json

pytestmark = pytest.mark.integration

DEAD_LETTERS = "codegen.dead_letter"
POISON = {  # queue -> a body no worker can read
    "codegen.control": b"\x00not json{",
    "codegen.llm": b"{truncated",
    "codegen.check": b'["json", "but no envelope"]',
}


def test_poison_messages_are_dead_lettered_and_the_worker_stays_up(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    worker = start_worker(env, tmp_path, concurrency=2)
    broker = redis.Redis.from_url(private_redis.url)
    for queue, body in POISON.items():
        broker.lpush(queue, body)
    wait_until(lambda: broker.llen(DEAD_LETTERS) == len(POISON), 60, "the dead letters")
    letters = [json.loads(item) for item in broker.lrange(DEAD_LETTERS, 0, -1)]
    by_queue = {letter["queue"]: letter for letter in letters}
    assert set(by_queue) == set(POISON)
    assert by_queue["codegen.control"]["reason"].startswith("not JSON")
    assert by_queue["codegen.llm"]["body"] == "{truncated"
    assert "not a message envelope" in by_queue["codegen.check"]["reason"]
    # the worker lives on and serves a valid run through every queue
    path = write_graph(tmp_path, graph("orders"))
    run = cli_json(["generate", str(path), "--model", MODEL], env, tmp_path)
    assert run["status"] == "succeeded", run
    assert worker.process.poll() is None
    log = worker.log.read_text()
    assert log.count("poison message on") == len(POISON), log
    assert "Traceback" not in log
    broker.close()


def _payload(**fields: Any) -> dict[str, Any]:
    data = graph("orders")
    return {"projectId": data["project"]["id"], "graph": data, "aiModel": MODEL} | fields


# name -> (payload, the field the problem names, words of the problem)
BAD_PAYLOADS: dict[str, tuple[dict[str, Any], str, str]] = {
    "runId escaping": (_payload(runId="../../x"), "runId", "must be 1..128 ASCII"),
    "runId too long": (_payload(runId="r" * 65), "runId", "at most 64 characters"),
    "userId too long": (_payload(metadata={"userId": "u" * 129}), "metadata.userId", "at most 128"),
    "NUL in userId": (_payload(metadata={"userId": "al\x00ice"}), "metadata.userId", "printable"),
    "model in home": (_payload(aiModel="~/models/x"), "aiModel", "unsafe model name"),
    "model too long": (_payload(aiModel="m/" + "x" * 199), "aiModel", "at most 200"),
    "NUL in model": (_payload(aiModel="a/b\x00"), "aiModel", "unsafe model name"),
    "wrong type": (_payload(projectId=5), "projectId", "valid string"),
    "wrong flag": (_payload(forceRegenerate="maybe"), "forceRegenerate", "valid boolean"),
}


def test_bad_payloads_refused_with_field_detail_before_any_write(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    start_worker(env, tmp_path, concurrency=2)
    settings = Settings.model_validate(
        {"CODEGEN_BROKER_URL": private_redis.url, "CODEGEN_DATABASE_URL": postgres_url}
    )
    client = CodegenClient(settings)
    for name, (payload, field, words) in BAD_PAYLOADS.items():
        # as a backend sends it, past the client's own check of the payload
        sent = client.app.send_task("codegen.generate_project", args=[payload])
        with pytest.raises(CodegenError) as failed:
            client.wait(str(sent.id), timeout=60)
        assert failed.value.code == "invalid_payload", (name, failed.value.to_dict())
        problems = failed.value.data["problems"]
        assert any(p.startswith(f"{field}: ") and words in p for p in problems), (name, problems)
        with pytest.raises(CodegenError) as refused:  # the client refuses it the same way
            client.enqueue("codegen.generate_project", payload)
        assert refused.value.data["problems"] == problems, name
    unknown = _payload(onlyNodes=["nope"])  # a valid payload naming an unknown node
    sent = client.app.send_task("codegen.generate_project", args=[unknown])
    with pytest.raises(CodegenError) as missing:
        client.wait(str(sent.id), timeout=60)
    assert missing.value.code == "invalid_payload", missing.value.to_dict()
    assert "'nope'" in missing.value.message and "KeyError" not in missing.value.message
    for table in ("projects", "graph_snapshots", "runs", "run_nodes"):
        assert sql(postgres_url, f"select count(*) from {table}")[0][0] == 0, table
    assert scaffold_server.calls == 0
    broker = redis.Redis.from_url(private_redis.url)
    assert broker.llen(DEAD_LETTERS) == len(BAD_PAYLOADS)
    broker.close()
    client.close()
