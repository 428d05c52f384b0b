"""A node's steps in a project run, defined once: generate → validate → discover.

Two runners walk them: the Celery chain of a run on the workers (each step is the task named
here, its payload built here) and the embedded runner (each step's body called in a thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codegen_tasks.api import registry
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.check import discover_in_run, validate_in_run
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import generate_node, record_failure
from codegen_tasks.pipeline.jobs import NodeJob

JSON = dict[str, Any]


@dataclass(frozen=True)
class NodeStep:
    task: str  # the Celery task running this step on the workers
    run: Callable[[Deps, NodeJob], object]  # its body: retryable errors propagate
    payload: Callable[[NodeJob, JSON], JSON]  # the task's payload, from the job and metadata
    give_up: Callable[[Deps, NodeJob, CodegenError], object] | None = None  # retries ran out


def _common(job: NodeJob, metadata: JSON) -> JSON:
    ids = {"projectId": job.project_id, "nodeId": job.node_id, "runId": job.run_id}
    return {"metadata": metadata, **ids}


def _validate(deps: Deps, job: NodeJob) -> object:
    return validate_in_run(deps, job.run_id, job.node_id, ai_review=job.ai_review)


def _discover(deps: Deps, job: NodeJob) -> object:
    return discover_in_run(deps, job.run_id, job.node_id, ai_review=job.ai_review)


def _checks_payload(job: NodeJob, metadata: JSON) -> JSON:
    """The validate and discover steps' payload: the node of the run, and `aiReview`."""
    return {**_common(job, metadata), "aiReview": job.ai_review}


GENERATE = NodeStep(
    task=registry.GENERATE_SERVICE.name,
    run=generate_node,
    payload=NodeJob.payload,
    give_up=record_failure,
)
VALIDATE = NodeStep(
    task=registry.VALIDATE_SERVICE.name,
    run=_validate,
    payload=_checks_payload,
)
DISCOVER = NodeStep(
    task=registry.DISCOVER_CONTRACTS.name,
    run=_discover,
    payload=_checks_payload,
)
NODE_STEPS: tuple[NodeStep, ...] = (GENERATE, VALIDATE, DISCOVER)

_FIRST_STEP = {ServiceStatus.VALIDATING: VALIDATE, ServiceStatus.DISCOVERING: DISCOVER}


def remaining_steps(status: ServiceStatus) -> tuple[NodeStep, ...]:
    """The steps a node in `status` has still to run: none once finished; all of them while
    queued or generating (a generation recorded by a lost task is found by its key)."""
    if status.finished:
        return ()
    first = _FIRST_STEP.get(status, GENERATE)
    return NODE_STEPS[NODE_STEPS.index(first) :]
