"""History queries that read many nodes at once answer what reading them one by one does,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from codegen_tasks.adapters.history.migrate import open_history
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ServiceStatus

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> History:
    if request.param == "sqlite":
        return open_history(f"sqlite:///{tmp_path / 'codegen.db'}")
    return open_history(request.getfixturevalue("postgres_url"))


def generation(
    history: History, node: str, minute: int, status: ServiceStatus = ServiceStatus.SUCCEEDED
) -> GenerationRecord:
    record = GenerationRecord(
        id=f"{node}-{minute}",
        idempotency_key=f"{node}-{minute}",
        run_id=f"run-{minute}",
        project_id="p",
        node_id=node,
        service_name=node,
        status=status,
        model="m",
        prompt_version="v",
        inputs_hash="h",
        created_at=T0 + timedelta(minutes=minute),
    )
    return history.record_generation(record)


def test_each_ones_last_success_before_it(history: History) -> None:
    generation(history, "a", 1)
    generation(history, "a", 2, ServiceStatus.FAILED)  # not a success
    a_now = generation(history, "a", 3)
    b_now = generation(history, "b", 3)  # its first: nothing before it
    generation(history, "c", 1)
    generation(history, "c", 2)
    c_now = generation(history, "c", 4)
    generation(history, "c", 5)  # a later run's: not before it
    later = [a_now, b_now, c_now]
    found = history.successes_before("p", later)
    assert {node: g.id for node, g in found.items()} == {"a": "a-1", "c": "c-2"}
    for g in later:  # what reading them one by one says
        one = history.latest_generation("p", g.node_id, succeeded=True, before=g)
        assert (one.id if one else None) == (found[g.node_id].id if g.node_id in found else None)
    assert history.successes_before("p", []) == {}
