"""Run creation is one upsert: the same run id created twice at once (two deliveries of one
`runId`) gives exactly one run, no database error, on PostgreSQL and on SQLite."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.domain.records import RunInfo
from codegen_tasks.domain.results import ServiceStatus

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RACES = 12
NODES = [("n0", "orders", ServiceStatus.QUEUED), ("n1", "billing", ServiceStatus.QUEUED)]


def _run(run_id: str) -> RunInfo:
    return RunInfo(
        id=run_id,
        project_id="shop",
        project_name="Shop",
        status="running",
        model="m/x",
        force_regenerate=False,
        user_id="alice",
        batch_id=None,
        created_at=NOW,
        finished_at=None,
    )


def _race(history: History, run_id: str, snapshot_id: str) -> list[bool | BaseException]:
    """Two threads create the same run at the same instant; what each got."""
    start = threading.Barrier(2)
    outcomes: list[bool | BaseException] = []

    def create() -> None:
        start.wait()
        try:
            nodes = [
                ("n0", "orders", ServiceStatus.QUEUED),
                ("n1", "billing", ServiceStatus.QUEUED),
            ]
            outcomes.append(history.create_run(_run(run_id), snapshot_id, nodes, []))
        except BaseException as exc:  # the outcome under test
            outcomes.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def _check_races(history: History) -> None:
    snapshot_id = history.save_snapshot("shop", "Shop", {"nodes": []}, NOW)
    for i in range(RACES):
        outcomes = _race(history, f"run-{i}", snapshot_id)
        assert sorted(outcomes, key=repr) == [False, True], outcomes
        nodes = history.run_nodes(f"run-{i}")
        assert sorted(n.node_id for n in nodes) == ["n0", "n1"]


def test_the_same_run_id_twice_at_once_on_postgresql(postgres_url: str) -> None:
    _check_races(open_history(postgres_url))


def test_the_same_run_id_twice_at_once_on_sqlite(tmp_path: Path) -> None:
    _check_races(open_history(f"sqlite:///{tmp_path / 'codegen.db'}"))
