"""The liveness sweep on an injected clock: stalled nodes get their remaining steps again (a
bounded number of times), then fail with the reason; a run whose callback was lost closes;
a node a task beats for is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.domain.results import RunStatus, ServiceStatus
from codegen_tasks.errors import BrokerError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import generate_node
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.liveness import STALLED_CODE, sweep
from codegen_tasks.pipeline.project import run_result, start_run
from codegen_tasks.pipeline.steps import NODE_STEPS, NodeStep
from codegen_tasks.pipeline.time_limits import HEARTBEAT_LOST_S, stall_after_s
from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps

RUN = "run-liveness"


@dataclass
class Clock:
    now: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Sent:
    """The re-dispatches a sweep made; `run` executes them as the chain would."""

    deps: Deps
    chains: list[tuple[NodeJob, tuple[str, ...]]] = field(default_factory=list)
    run: bool = True

    def __call__(self, job: NodeJob, steps: tuple[NodeStep, ...]) -> None:
        self.chains.append((job, tuple(s.task for s in steps)))
        if self.run:
            for step in steps:
                step.run(self.deps, job)


def started(make_deps: MakeDeps, **settings: object) -> tuple[Deps, Clock, list[NodeJob]]:
    deps = make_deps(CODEGEN_VISIBILITY_TIMEOUT_S=60, CODEGEN_SWEEP_INTERVAL_S=10, **settings)
    clock = Clock()
    deps.clock = clock
    payload = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=shop(), run_id=RUN)
    return deps, clock, start_run(deps, payload, RUN).jobs


def statuses(deps: Deps) -> set[ServiceStatus]:
    return {n.status for n in deps.history.run_nodes(RUN)}


def test_lost_messages_are_sent_again_after_the_bound_and_the_run_closes(
    make_deps: MakeDeps,
) -> None:
    deps, clock, jobs = started(make_deps)  # planned, no message ever delivered
    sent = Sent(deps)
    bound = stall_after_s(deps.settings)
    assert bound == 60 + HEARTBEAT_LOST_S
    clock.advance(bound - 1)
    assert sweep(deps, sent).redispatched == [] and sent.chains == []
    clock.advance(2)
    report = sweep(deps, sent)
    assert len(report.redispatched) == SHOP_CODE_NODES
    assert {steps for _, steps in sent.chains} == {
        ("codegen.generate_service", "codegen.validate_service", "codegen.discover_contracts")
    }
    assert {job.model for job, _ in sent.chains} == {jobs[0].model}
    assert statuses(deps) == {ServiceStatus.SUCCEEDED}
    assert report.closed == []  # the chord callback may still come: one interval of grace
    clock.advance(11)
    assert sweep(deps, sent).closed == [RUN]
    assert run_result(deps, RUN).status is RunStatus.SUCCEEDED
    generations = [deps.history.generation_by_key(f"{RUN}:{j.node_id}:generate") for j in jobs]
    assert all(g is not None for g in generations)  # one record per node
    assert sweep(deps, sent).wire() == {"redispatched": [], "failed": [], "closed": []}


def test_a_node_whose_chain_broke_after_generation_gets_only_its_remaining_steps(
    make_deps: MakeDeps,
) -> None:
    deps, clock, jobs = started(make_deps)
    for job in jobs:
        generate_node(deps, job)  # the validate messages were lost (a refused callback)
    assert statuses(deps) == {ServiceStatus.VALIDATING}
    sent = Sent(deps)
    clock.advance(stall_after_s(deps.settings) + 1)
    sweep(deps, sent)
    assert {steps for _, steps in sent.chains} == {
        ("codegen.validate_service", "codegen.discover_contracts")
    }
    assert statuses(deps) == {ServiceStatus.SUCCEEDED}


def test_a_node_that_never_progresses_fails_after_the_bounded_redispatches(
    make_deps: MakeDeps,
) -> None:
    deps, clock, _ = started(make_deps, CODEGEN_SWEEP_REDISPATCHES=2)
    lost = Sent(deps, run=False)  # every re-dispatch is lost too
    bound = stall_after_s(deps.settings)
    for expected in (1, 2):
        clock.advance(bound + 1)
        sweep(deps, lost)
        assert {n.redispatches for n in deps.history.run_nodes(RUN)} == {expected}
    clock.advance(bound - 1)  # a re-dispatch counts as progress: a new bound from it
    assert sweep(deps, lost).failed == []
    clock.advance(2)
    report = sweep(deps, lost)
    assert len(report.failed) == SHOP_CODE_NODES and report.closed == [RUN]
    result = run_result(deps, RUN)
    assert result.status is RunStatus.FAILED
    for service in result.services:
        assert service.error_code == STALLED_CODE
        assert service.error is not None and "stalled" in service.error
        assert "while queued, after 2 re-dispatch(es)" in service.error
    assert len(lost.chains) == 2 * SHOP_CODE_NODES


def test_a_node_a_task_beats_for_is_left_alone(make_deps: MakeDeps) -> None:
    deps, clock, jobs = started(make_deps)
    sent = Sent(deps, run=False)
    clock.advance(stall_after_s(deps.settings) * 10)
    for job in jobs:
        deps.history.beat(RUN, job.node_id, clock())  # a slow step, alive
    clock.advance(HEARTBEAT_LOST_S - 1)
    assert sweep(deps, sent).redispatched == []
    clock.advance(stall_after_s(deps.settings) + 2)  # its worker died: the beats stopped
    assert len(sweep(deps, sent).redispatched) == SHOP_CODE_NODES


def test_a_redispatch_the_broker_refuses_is_tried_again_next_sweep(make_deps: MakeDeps) -> None:
    deps, clock, _ = started(make_deps)

    def refused(job: NodeJob, steps: tuple[NodeStep, ...]) -> None:
        raise BrokerError("broker down")

    clock.advance(stall_after_s(deps.settings) + 1)
    assert sweep(deps, refused).redispatched == []
    assert {n.redispatches for n in deps.history.run_nodes(RUN)} == {0}
    assert len(sweep(deps, Sent(deps)).redispatched) == SHOP_CODE_NODES


def test_finished_nodes_of_an_open_run_are_closed_after_one_interval(make_deps: MakeDeps) -> None:
    deps, clock, jobs = started(make_deps)
    sent = Sent(deps)
    for job in jobs:  # every chain ran, the chord callback was lost
        Sent(deps)(job, NODE_STEPS)
    clock.advance(5)
    assert sweep(deps, sent).closed == []
    clock.advance(10)
    assert sweep(deps, sent).closed == [RUN]
    assert sent.chains == []
    assert run_result(deps, RUN).status is RunStatus.SUCCEEDED
