"""Database transactions per node: each step's reads and writes are batched."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.errors import NotFoundError
from codegen_tasks.pipeline.project import close_run, start_run
from codegen_tasks.pipeline.steps import NODE_STEPS
from tests.examples import SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps


class Commits:
    """Commits (or, with `event="before_cursor_execute"`, statements) as they happen."""

    def __init__(self, engine: object, event_name: str = "commit") -> None:
        self.count = 0
        event.listen(engine, event_name, self.seen)

    def seen(self, *_args: object) -> None:
        self.count += 1

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def test_a_node_costs_five_transactions(make_deps: MakeDeps) -> None:
    deps = make_deps()
    payload = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=shop(), run_id="r1")
    plan = start_run(deps, payload, "r1")
    commits = Commits(deps.history.engine)
    per_step = []
    for step in NODE_STEPS:
        step.run(deps, plan.jobs[0])
        per_step.append(commits.take())
    # it was 8, 6 and 4 with one transaction per history call, then 4, 2 and 1; generating
    # now reads and marks the node in one, and records the generation with the node in one
    assert per_step == [2, 2, 1]
    assert deps.history.run_node("r1", plan.jobs[0].node_id).status is ServiceStatus.SUCCEEDED
    commits.take()
    close_run(deps, "r1")
    assert commits.take() == 1  # closing the run: one transaction whatever its size


def test_a_node_costs_seventeen_statements(make_deps: MakeDeps) -> None:
    deps = make_deps()
    payload = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=shop(), run_id="r3")
    plan = start_run(deps, payload, "r3")
    statements = Commits(deps.history.engine, "before_cursor_execute")
    per_step = []
    for step in NODE_STEPS:
        step.run(deps, plan.jobs[0])
        per_step.append(statements.take())
    # it was 8, 8 and 6: the run and its project were read apart, a node and its generation
    # apart, and a validation, a generation's status and a contract set were each read
    # before they were written
    assert per_step == [7, 6, 4]
    assert deps.history.run_node("r3", plan.jobs[0].node_id).status is ServiceStatus.SUCCEEDED


def test_a_failed_transaction_writes_nothing(make_deps: MakeDeps) -> None:
    deps = make_deps()
    payload = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=shop(), run_id="r2")
    job = start_run(deps, payload, "r2").jobs[0]
    with pytest.raises(NotFoundError), deps.history.transaction():
        deps.history.set_node("r2", job.node_id, ServiceStatus.GENERATING, deps.clock())
        deps.history.set_node("r2", "no-such-node", ServiceStatus.GENERATING, deps.clock())
    assert deps.history.run_node("r2", job.node_id).status is ServiceStatus.QUEUED
