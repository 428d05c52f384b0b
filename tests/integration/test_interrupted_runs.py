"""Runs nobody finishes: Ctrl-C on the CLI following workers closes the run as cancelled at
once; a CLI killed outright leaves an open run that `codegen sweep` (or the project's next
run, once stale) closes as failed; the next run redoes and re-checks the unfinished nodes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH
from tests.fixtures.faults import wait_until
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import Worker, clean_env, cli_json, run_cli

pytestmark = pytest.mark.integration
MODEL = "anthropic/claude-3.5-sonnet"


def start_generate(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "codegen_tasks", "generate", str(SHOP_GRAPH), "--model", MODEL],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def generating_run(env: dict[str, str], cwd: Path) -> str | None:
    """The open run's id once one of its nodes is being generated."""
    done = run_cli(["runs", "--json"], env, cwd)
    runs = json.loads(done.stdout)["runs"] if done.returncode == 0 else []
    if not runs:
        return None
    status = json.loads(run_cli(["status", runs[0]["runId"], "--json"], env, cwd).stdout)
    busy = any(s["status"] == "generating" for s in status["services"])
    return str(runs[0]["runId"]) if busy else None


def assert_rerun_checks_everything(env: dict[str, str], cwd: Path) -> None:
    rerun = cli_json(["generate", str(SHOP_GRAPH), "--model", MODEL], env, cwd)
    assert rerun["status"] == "succeeded"
    for service in rerun["services"]:  # none skipped to a bundle whose checks never finished
        assert service["status"] in ("succeeded", "skipped"), service
        assert service["validation"] is not None, service


def test_ctrl_c_on_workers_cancels_the_run_at_once(
    tmp_path: Path, redis_url: str, postgres_url: str, start_worker: Callable[..., Worker]
) -> None:
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer, latency_s=2.0) as model:
        env = clean_env(
            OPENROUTER_API_KEY=TEST_API_KEY,
            OPENROUTER_BASE_URL=model.base_url,
            CODEGEN_BROKER_URL=redis_url,
            CODEGEN_DATABASE_URL=postgres_url,
            CODEGEN_VALIDATE_TYPESCRIPT="false",
            CODEGEN_LLM_CONCURRENCY="1",
        )
        start_worker(env, tmp_path, concurrency=2)
        cli = start_generate(env, tmp_path)
        run_id = wait_until(lambda: generating_run(env, tmp_path), timeout=120, what="a run")
        cli.send_signal(signal.SIGINT)
        _, err = cli.communicate(timeout=60)
        assert cli.returncode == 130, err
        assert f"run {run_id} cancelled" in err and "Traceback" not in err
        cancelled: Any = cli_json(["status", run_id], env, tmp_path, expect=0)
        assert cancelled["status"] == "cancelled"
        assert any(s["error"] for s in cancelled["services"])
        assert_rerun_checks_everything(env, tmp_path)
        again = cli_json(["status", run_id], env, tmp_path)
        assert again["status"] == "cancelled"  # late tasks of the cancelled run changed nothing


def test_a_killed_cli_leaves_a_run_that_sweep_closes(tmp_path: Path) -> None:
    # embedded nodes run concurrently: a latency long enough to find them generating
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer, latency_s=15.0) as model:
        env = clean_env(
            OPENROUTER_API_KEY=TEST_API_KEY,
            OPENROUTER_BASE_URL=model.base_url,
            CODEGEN_VALIDATE_TYPESCRIPT="false",
        )
        cli = start_generate(env, tmp_path)  # embedded: the run lives in this process
        run_id = wait_until(lambda: generating_run(env, tmp_path), timeout=120, what="a run")
        cli.kill()
        cli.communicate(timeout=30)
        assert cli_json(["sweep"], env, tmp_path)["closed"] == []  # not stale yet: may be alive
        assert cli_json(["sweep", "--stale-after", "0"], env, tmp_path)["closed"] == [run_id]
        closed = cli_json(["status", run_id], env, tmp_path)
        assert closed["status"] == "failed"
        unfinished = [s for s in closed["services"] if s["status"] == "failed"]
        assert unfinished and all("abandoned" in s["error"] for s in unfinished)
        assert_rerun_checks_everything(env, tmp_path)
        runs = cli_json(["runs"], env, tmp_path)["runs"]
        assert len(runs) == 2 and len(closed["services"]) == SHOP_CODE_NODES
