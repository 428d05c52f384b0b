"""What a non-Python backend and an operator see: the README's raw Celery message run by a
real worker, the client without the task code, Flower's task list and metrics, PROGRESS."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH
from tests.fixtures.faults import wait_until
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import ROOT, Worker, clean_env, run_cli

pytestmark = pytest.mark.integration
MODEL = "anthropic/claude-3.5-sonnet"


def readme_block(marker: str) -> Any:
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"<!-- {marker} -->\s*```json\n(.*?)```", text, re.S)
    assert found, marker
    return json.loads(found.group(1))


def test_readme_raw_message_runs_on_a_real_worker(
    tmp_path: Path, redis_url: str, postgres_url: str, start_worker: Callable[..., Worker]
) -> None:
    env = clean_env(
        CODEGEN_BROKER_URL=redis_url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_VALIDATE_TYPESCRIPT="false",
    )
    start_worker(env, tmp_path, concurrency=2)
    body, envelope = readme_block("raw-body"), readme_block("raw-envelope")
    task_id = str(uuid.uuid4())
    envelope["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    for key in ("id", "root_id"):
        envelope["headers"][key] = task_id
    envelope["properties"]["correlation_id"] = task_id
    queue = envelope["properties"]["delivery_info"]["routing_key"]
    client = redis.Redis.from_url(redis_url)
    client.lpush(queue, json.dumps(envelope))  # what a Node backend would do

    def result() -> Any:
        raw = client.get(f"celery-task-meta-{task_id}")
        meta = json.loads(raw) if raw else {}
        return meta if meta.get("status") in ("SUCCESS", "FAILURE") else None

    meta = wait_until(result, timeout=120, what="the task's result")
    assert meta["status"] == "SUCCESS", meta
    assert meta["result"]["projectId"] == "p-hello"
    run_id = meta["result"]["runId"]
    status = run_cli(["status", run_id, "--json"], env, tmp_path)
    assert status.returncode in (0, 1), status.stderr
    done = wait_until(
        lambda: (
            (r := json.loads(run_cli(["status", run_id, "--json"], env, tmp_path).stdout))
            and r["status"] != "running"
            and r
        ),
        timeout=120,
        what="the run",
    )
    assert done["status"] == "succeeded" and done["services"][0]["serviceName"] == "greeter"
    client.close()


CLIENT_SCRIPT = """
import json, sys
from codegen_tasks.api.client import CodegenClient
client = CodegenClient()
task_id = client.generate_project({"projectId": "p-hello", "graph": json.loads(sys.argv[1])})
result = client.wait(task_id, timeout=120)
assert "workers.tasks" not in sys.modules, "the client imported the task code"
print(json.dumps({"taskId": task_id, "state": client.status(task_id)["state"], **result}))
"""


def test_client_enqueues_and_waits_without_the_task_code(
    tmp_path: Path, redis_url: str, postgres_url: str, start_worker: Callable[..., Worker]
) -> None:
    env = clean_env(
        CODEGEN_BROKER_URL=redis_url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_VALIDATE_TYPESCRIPT="false",
    )
    start_worker(env, tmp_path, concurrency=2)
    graph = readme_block("raw-body")[0][0]["graph"]
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_SCRIPT, json.dumps(graph)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["state"] == "SUCCESS" and out["projectId"] == "p-hello" and out["runId"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def flower(tmp_path: Path, redis_url: str) -> Iterator[tuple[str, tuple[str, str]]]:
    """The README's Flower: the launcher, credentials and port from the environment only."""
    port, auth = free_port(), ("ops", "flower-test-pass")
    env = clean_env(
        CODEGEN_BROKER_URL=redis_url, FLOWER_PORT=str(port), FLOWER_BASIC_AUTH=":".join(auth)
    )
    env = {k: v for k, v in env.items() if k != "FLOWER_ADDRESS"}  # the default: loopback
    log = (tmp_path / "flower.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.flower"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url, auth), timeout=60, what="flower")
        yield url, auth
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def _up(url: str, auth: tuple[str, str]) -> bool:
    try:
        return requests.get(f"{url}/metrics", auth=auth, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _progress_states(client: redis.Redis) -> list[dict[str, Any]]:
    out = []
    for key in client.scan_iter("celery-task-meta-*"):
        raw = client.get(key)
        meta = json.loads(raw) if raw else {}
        if meta.get("status") == "PROGRESS":
            out.append(meta["result"])
    return out


def test_flower_shows_names_safe_summaries_progress_and_metrics(
    tmp_path: Path,
    redis_url: str,
    postgres_url: str,
    start_worker: Callable[..., Worker],
    flower: tuple[str, tuple[str, str]],
) -> None:
    url, auth = flower
    with FakeOpenRouter(
        api_key=TEST_API_KEY, responder=scaffold_answer, tokens_per_s=2000
    ) as model:
        env = clean_env(
            OPENROUTER_API_KEY=TEST_API_KEY,
            OPENROUTER_BASE_URL=model.base_url,
            CODEGEN_BROKER_URL=redis_url,
            CODEGEN_DATABASE_URL=postgres_url,
            CODEGEN_VALIDATE_TYPESCRIPT="false",
        )
        start_worker(env, tmp_path, concurrency=6)
        cli = subprocess.Popen(
            [sys.executable, "-m", "codegen_tasks", "generate", str(SHOP_GRAPH), "--stream",
             "--model", MODEL, "--json"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        backend = redis.Redis.from_url(redis_url)
        progress = wait_until(lambda: _progress_states(backend), timeout=120, what="PROGRESS")
        shown = wait_until(lambda: _flower_progress(url, auth), timeout=120, what="Flower")
        out, err = cli.communicate(timeout=300)
        backend.close()
    assert cli.returncode == 0, err
    assert "Traceback" not in err and "meta_path" not in err  # results released before exit
    assert progress[0]["streamedTokens"] > 0 and progress[0]["nodeId"]
    assert json.loads(out)["status"] == "succeeded"
    assert shown["name"] == "codegen.generate_service" and "'service': '" in shown["args"]
    assert json.loads(shown["result"])["streamedTokens"] > 0  # progress, not None

    metrics_open = requests.get(f"{url}/metrics", timeout=10)
    assert metrics_open.status_code == 401 and "Basic" in metrics_open.headers["WWW-Authenticate"]
    assert requests.get(f"{url}/metrics", auth=(auth[0], "wrong"), timeout=10).status_code == 401

    assert requests.get(f"{url}/api/tasks", timeout=10).status_code == 401
    tasks = wait_until(
        lambda: (
            (t := requests.get(f"{url}/api/tasks", auth=auth, timeout=10).json())
            and sum(v["name"] == "codegen.discover_contracts" for v in t.values())
            == SHOP_CODE_NODES
            and t
        ),
        timeout=120,
        what="flower's task list",
    )
    names = {t["name"] for t in tasks.values()}
    assert {"codegen.generate_service", "codegen.validate_service",
            "codegen.discover_contracts", "codegen.finalize_run"} <= names  # fmt: skip
    for task in tasks.values():
        if task["name"] == "codegen.finalize_run":
            continue
        args = str(task["args"])
        assert "projectId" in args and len(args) < 300, task
        assert TEST_API_KEY not in args and "serviceName" not in args and "metadata" not in args
    metrics = requests.get(f"{url}/metrics", auth=auth, timeout=10).text
    assert "flower_events_total" in metrics and 'task="codegen.generate_service"' in metrics

    project = next(t for t in tasks.values() if t["name"] == "codegen.generate_project")
    planned = _result(url, auth, project["uuid"])
    assert planned["status"] == "running" and planned["finalTaskId"]
    final = wait_until(
        lambda: (
            tasks_now(url, auth).get(planned["finalTaskId"], {}).get("state") == "SUCCESS"
            and _result(url, auth, planned["finalTaskId"])
        ),
        timeout=60,
        what="the finalize task in Flower",
    )
    assert final["status"] == "succeeded" and final["runId"] == planned["runId"]


def tasks_now(url: str, auth: tuple[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = requests.get(f"{url}/api/tasks", auth=auth, timeout=10).json()
    return found


def _result(url: str, auth: tuple[str, str], task_id: str) -> dict[str, str]:
    """The leading string fields of a task's result as Flower shows it: the repr of the JSON
    the task returned, cut after a kilobyte."""
    info = requests.get(f"{url}/api/task/info/{task_id}", auth=auth, timeout=10).json()
    found: dict[str, str] = {}
    for key, value in re.findall(r"'(\w+)': '([^']*)'", info["result"] or ""):
        found.setdefault(key, value)
    return found


def _flower_progress(url: str, auth: tuple[str, str]) -> dict[str, Any] | None:
    """A task Flower shows in state PROGRESS (from the task-progress events)."""
    for task in tasks_now(url, auth).values():
        if task["state"] == "PROGRESS":
            return dict(task)
    return None
