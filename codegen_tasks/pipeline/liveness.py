"""The liveness sweep: every run closes, whatever was lost on the way.

A node of an open run that no task works on (no heartbeat) and that made no progress for
`stall_after_s` lost its step: a message dropped by a broker restart, a chain callback that
could not be published, a task that failed without recording (its database was down). The
sweep sends the node's remaining steps again (`steps.remaining_steps`, the chain's own
definition; every step is idempotent), at most CODEGEN_SWEEP_REDISPATCHES times, then fails
the node with the reason. A run whose nodes are all finished but that is still open lost
its chord callback: the sweep closes it as the callback would have.

Celery beat runs it on the control queue (`codegen.liveness_sweep`); the clock, the history
and the sending of steps are injected, so it is tested without any of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.records import RunInfo, RunNode
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.project import close_run
from codegen_tasks.pipeline.steps import NodeStep, remaining_steps
from codegen_tasks.pipeline.time_limits import HEARTBEAT_LOST_S, stall_after_s

log = logging.getLogger("codegen_tasks.liveness")
STALLED_CODE = "stalled"
STALLED = (
    "stalled: no progress for {seconds:.0f}s while {status}, after {redispatches} "
    "re-dispatch(es) of its remaining steps; closed by the liveness sweep"
)

# sends a node's remaining steps (as one chain); raises CodegenError when it cannot
Redispatch = Callable[[NodeJob, tuple[NodeStep, ...]], None]


@dataclass
class SweepReport:
    redispatched: list[str] = field(default_factory=list)  # "run/node"
    failed: list[str] = field(default_factory=list)  # "run/node"
    closed: list[str] = field(default_factory=list)  # run ids

    def wire(self) -> dict[str, Any]:
        return {"redispatched": self.redispatched, "failed": self.failed, "closed": self.closed}


def last_progress(node: RunNode) -> datetime | None:
    moments = [m for m in (node.updated_at, node.heartbeat_at) if m is not None]
    return max(moments) if moments else None


def is_stalled(deps: Deps, node: RunNode, now: datetime) -> bool:
    """Unfinished, no task beating for it, and no progress for `stall_after_s`."""
    if node.status.finished:
        return False
    beat = node.heartbeat_at
    if beat is not None and now - beat < timedelta(seconds=HEARTBEAT_LOST_S):
        return False
    last = last_progress(node)
    return last is None or now - last > timedelta(seconds=stall_after_s(deps.settings))


def node_job(deps: Deps, info: RunInfo, node: RunNode) -> NodeJob:
    """The node's job as the run planned it (model, mode and options recorded with it)."""
    return NodeJob(
        project_id=info.project_id,
        node_id=node.node_id,
        run_id=info.id,
        model=info.model,
        force_regenerate=info.force_regenerate,
        stream=info.stream,
        user_id=info.user_id,
        mode=GenerationMode(info.mode) if info.mode else deps.settings.generation_mode,
        ai_review=info.ai_review,
        service_name=node.service_name,
    )


def sweep(deps: Deps, redispatch: Redispatch) -> SweepReport:
    """One pass over every open run. History errors propagate (the next sweep retries);
    a node whose steps cannot be sent now is left for the next sweep."""
    report = SweepReport()
    now = deps.clock()
    for run_id in sorted(deps.history.open_runs()):
        _sweep_run(deps, run_id, now, redispatch, report)
    return report


def _sweep_run(
    deps: Deps, run_id: str, now: datetime, redispatch: Redispatch, report: SweepReport
) -> None:
    info = deps.history.run_info(run_id)
    failed_now = False
    for node in deps.history.run_nodes(run_id):
        if not is_stalled(deps, node, now):
            continue
        where = f"{run_id}/{node.node_id}"
        if node.redispatches >= deps.settings.sweep_redispatches:
            _fail(deps, run_id, node, now)
            report.failed.append(where)
            failed_now = True
            continue
        try:
            redispatch(node_job(deps, info, node), remaining_steps(node.status))
        except CodegenError as exc:
            log.warning("liveness sweep: cannot send %s's steps again: %s", where, exc.message)
            continue
        deps.history.count_redispatch(run_id, node.node_id, now)
        log.warning("liveness sweep: %s stalled while %s; steps sent again", where, node.status)
        report.redispatched.append(where)
    if _callback_lost(deps, info, now, failed_now):
        close_run(deps, run_id)
        log.warning("liveness sweep: closed run %s (every node finished, still open)", run_id)
        report.closed.append(run_id)


def _fail(deps: Deps, run_id: str, node: RunNode, now: datetime) -> None:
    last = last_progress(node) or now
    reason = STALLED.format(
        seconds=(now - last).total_seconds(), status=node.status, redispatches=node.redispatches
    )
    deps.history.set_node(
        run_id, node.node_id, ServiceStatus.FAILED, now, error=reason, error_code=STALLED_CODE
    )
    log.warning("liveness sweep: %s/%s failed: %s", run_id, node.node_id, reason)


def _callback_lost(deps: Deps, info: RunInfo, now: datetime, failed_now: bool) -> bool:
    """Every node finished and the run still open: the chord callback closes a run right
    after its last node, so one sweep interval later it was lost (at once when this sweep
    failed the last nodes: no callback will come for them)."""
    nodes = deps.history.run_nodes(info.id)
    if not all(n.status.finished for n in nodes):
        return False
    if failed_now:
        return True
    moments = [m for m in (last_progress(n) for n in nodes) if m is not None]
    last = max([*moments, info.created_at])
    return now - last > timedelta(seconds=deps.settings.sweep_interval_s)
