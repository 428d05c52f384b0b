"""`codegen regenerate`: a batch of 20 projects, workers and CLI killed halfway, then the
same batch rerun: it finishes, and nothing that had finished is done again."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.pipeline.latest import batch_run_id
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import Worker, clean_env, cli_json

pytestmark = pytest.mark.integration
PROJECTS, BATCH = 20, "resume-test-batch"


def small_graph(i: int) -> dict[str, Any]:
    """Two services: `api` calls `store`."""
    pid = f"batch-p{i:02d}"

    def node(n: str, kind: int, x: int) -> dict[str, Any]:
        data = {"serviceName": n, "config": {"description": f"{n} of project {i}"}}
        return {"id": f"{pid}-{n}", "type": kind, "data": data, "position": {"x": x, "y": 0}}

    return {
        "project": {"id": pid, "name": f"proj-{i:02d}"},
        "graph": {
            "nodes": [node("api", 3, 0), node("store", 1, 300)],
            "edges": [{"id": "e", "source": f"{pid}-api", "target": f"{pid}-store", "type": 2}],
        },
    }


@pytest.fixture
def slow_model() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer, latency_s=0.4) as fake:
        yield fake


def seed(history: History) -> None:
    now = datetime.now(UTC)
    for i in range(PROJECTS):
        project = parse_graph(small_graph(i))
        graph = project.model_dump(mode="json", by_alias=True)
        history.save_snapshot(project.project.id, project.project.name, graph, now)


def finished_runs(history: History) -> dict[str, datetime]:
    return {r.id: r.finished_at for r in history.runs_of_batch(BATCH) if r.finished_at is not None}


def finished_nodes(history: History) -> dict[tuple[str, str], str | None]:
    """(run, node) → generation id of every node that had finished."""
    out = {}
    for i in range(PROJECTS):
        run_id = batch_run_id(BATCH, f"batch-p{i:02d}")
        try:
            nodes = history.run_nodes(run_id)
        except Exception:
            continue
        out |= {(run_id, n.node_id): n.generation_id for n in nodes if n.status.finished}
    return out


def asked_for(body: dict[str, Any]) -> tuple[str, str]:
    """(project name, service name) a chat request asks for."""
    prompt = " ".join(m["content"] for m in body["messages"] if m["role"] == "user")
    project = re.search(r"Project: (\S+)", prompt)
    service = re.search(r"Service name: (\S+)", prompt)
    assert project and service, prompt[:200]
    return project.group(1), service.group(1)


def test_killed_batch_resumes_without_redoing_finished_work(
    tmp_path: Path,
    slow_model: FakeOpenRouter,
    redis_url: str,
    postgres_url: str,
    start_worker: Callable[..., Worker],
) -> None:
    env = clean_env(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=slow_model.base_url,
        CODEGEN_BROKER_URL=redis_url,
        CODEGEN_REDIS_URL=redis_url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_VALIDATE_TYPESCRIPT="false",
        # a killed worker's single-flight lock on a prompt lapses within its lease; a short
        # LLM timeout also bounds how long any lock may be held
        OPENROUTER_TIMEOUT_S="5",
    )
    history = open_history(postgres_url)
    seed(history)
    args = ["regenerate", "--all", "--batch", BATCH, "--concurrency", "3", "--json"]
    worker = start_worker(env, tmp_path, concurrency=4)
    cli = subprocess.Popen(
        [sys.executable, "-m", "codegen_tasks", *args],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while len(finished_runs(history)) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.kill(signal.SIGKILL)
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=30)
    runs_before, nodes_before = finished_runs(history), finished_nodes(history)
    calls_before = len(slow_model.chat_bodies)
    assert 6 <= len(runs_before) < PROJECTS, "the batch was not interrupted halfway"

    start_worker(env, tmp_path, concurrency=4)
    batch = cli_json(args[:-1], env, tmp_path)

    assert batch["batchId"] == BATCH and not batch["errors"]
    assert len(batch["runs"]) == PROJECTS
    assert all(r["status"] == "succeeded" for r in batch["runs"]), batch["runs"]
    assert sum(r["resumed"] for r in batch["runs"]) >= len(runs_before)
    after = finished_runs(history)
    assert {k: after[k] for k in runs_before} == runs_before  # finished runs left alone
    nodes_after = finished_nodes(history)
    assert {k: nodes_after[k] for k in nodes_before} == nodes_before  # same generations
    assert len(nodes_after) == 2 * PROJECTS
    done_at_kill = {
        (f"proj-{int(run_node[1].split('-')[1][1:]):02d}", run_node[1].rsplit("-", 1)[1])
        for run_node in nodes_before
    }
    asked_again = {asked_for(b) for b in slow_model.chat_bodies[calls_before:]}
    assert not asked_again & done_at_kill, "a finished node was generated again"
    assert len(asked_again) <= 2 * PROJECTS - len(nodes_before)

    rerun = cli_json(args[:-1], env, tmp_path)  # a third run: everything is done already
    assert all(r["resumed"] and r["status"] == "succeeded" for r in rerun["runs"])
    assert finished_runs(history) == after
    history.engine.dispose()
