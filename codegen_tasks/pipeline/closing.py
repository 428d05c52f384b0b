"""Closing runs nobody will finish because their process died (abandoned runs; a run its
user stops is closed by project.cancel_run).

A run's nodes that did not finish all their steps are failed with the reason; their
generations never became successes (see check.py), so the next run regenerates them (an
identical request is answered from the cache) and checks them again.
"""

from __future__ import annotations

from datetime import timedelta

from codegen_tasks.domain.results import RunStatus, ServiceStatus
from codegen_tasks.pipeline.context import Deps

ABANDONED = "abandoned: the run made no progress for {seconds:.0f}s and was closed"


def _close(deps: Deps, run_id: str, status: RunStatus, reason: str) -> None:
    for node in deps.history.run_nodes(run_id):
        if not node.status.finished:
            deps.history.set_node(
                run_id, node.node_id, ServiceStatus.FAILED, deps.clock(), error=reason
            )
    deps.history.finish_run(run_id, status.value, deps.clock(), error=reason)


def close_abandoned(
    deps: Deps,
    project_id: str | None = None,
    *,
    stale_after_s: float | None = None,
    keep: str | None = None,
) -> list[str]:
    """Close as `failed` every open run (of one project, or all) without a sign of life for
    `stale_after_s` (default CODEGEN_RUN_STALE_AFTER_S), but `keep` (a run being resumed);
    the ids of the runs closed."""
    seconds = deps.settings.run_stale_after_s if stale_after_s is None else stale_after_s
    cutoff = deps.clock() - timedelta(seconds=seconds)
    closed = []
    for run_id, last_seen in sorted(deps.history.open_runs(project_id).items()):
        if last_seen <= cutoff and run_id != keep:
            _close(deps, run_id, RunStatus.FAILED, ABANDONED.format(seconds=seconds))
            closed.append(run_id)
    return closed
