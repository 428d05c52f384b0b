"""Embedded mode as a user runs it: `codegen generate` with a model key and no broker runs
the nodes concurrently, and Ctrl-C stops it, leaving the run `cancelled`, never `running`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.workers import clean_env, cli_json

pytestmark = pytest.mark.integration
LATENCY_S = 2.0


@pytest.fixture
def slow_model() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter(
        api_key=TEST_API_KEY, responder=scaffold_answer, latency_s=LATENCY_S
    ) as server:
        yield server


def env_for(server: FakeOpenRouter, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=server.base_url,
        CODEGEN_DATABASE_URL=f"sqlite:///{tmp_path / 'history.db'}",
        CODEGEN_VALIDATE_TYPESCRIPT="false",
    )


def test_nodes_wait_for_the_model_together(slow_model: FakeOpenRouter, tmp_path: Path) -> None:
    started = time.monotonic()
    run = cli_json(["generate", str(SHOP_GRAPH)], env_for(slow_model, tmp_path), tmp_path)
    elapsed = time.monotonic() - started
    assert run["status"] == "succeeded" and len(run["services"]) == SHOP_CODE_NODES
    assert slow_model.calls == SHOP_CODE_NODES
    # one after another it takes 6 x 2 s; together one latency plus start-up and checks
    assert elapsed < (SHOP_CODE_NODES - 2) * LATENCY_S, elapsed


def run_rows(database: Path) -> list[tuple[str, str]]:
    if not database.exists():
        return []
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(sa.text("SELECT id, status FROM runs"))]
    except sa.exc.OperationalError:  # not migrated yet
        return []
    finally:
        engine.dispose()


def test_ctrl_c_cancels_the_run(tmp_path: Path) -> None:
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer, latency_s=60) as model:
        env = env_for(model, tmp_path)
        cli = subprocess.Popen(
            [sys.executable, "-m", "codegen_tasks", "generate", str(SHOP_GRAPH)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while model.calls < SHOP_CODE_NODES and time.monotonic() < deadline:
                time.sleep(0.1)
            assert model.calls == SHOP_CODE_NODES  # every node is waiting for the model
            cli.send_signal(signal.SIGINT)
            stopped = time.monotonic()
            _, err = cli.communicate(timeout=30)
            stopping_s = time.monotonic() - stopped
        finally:
            cli.kill()
    assert cli.returncode == 130, err
    assert stopping_s < 10, stopping_s
    assert "cancelled" in err and "Traceback" not in err
    [(run_id, status)] = run_rows(tmp_path / "history.db")
    assert status == "cancelled"
    shown = cli_json(["status", run_id], env, tmp_path)
    assert shown["status"] == "cancelled"
    assert {s["status"] for s in shown["services"]} == {"failed"}
    assert all("cancelled" in s["error"] for s in shown["services"]), json.dumps(shown)
