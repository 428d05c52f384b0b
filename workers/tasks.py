"""The Celery tasks, by the registry's names. Each one: parse the payload, call its handler
(`codegen_tasks.pipeline.handlers`) under the retry policy, return the result model's JSON.
What must be Celery stays here: a run's chord of node chains, a batch's dispatch."""

from __future__ import annotations

import logging
import uuid
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from celery import Task, chain, chord, group
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from codegen_tasks.api import registry
from codegen_tasks.api.payloads import GenerateServicePayload, Metadata
from codegen_tasks.api.results import BatchRun, SweepResult
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.errors import BrokerError, CodegenError
from codegen_tasks.pipeline import handlers
from codegen_tasks.pipeline.generate import generate_node, record_failure
from codegen_tasks.pipeline.heartbeat import heartbeat
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.liveness import sweep
from codegen_tasks.pipeline.progress import progress_listener
from codegen_tasks.pipeline.steps import NODE_STEPS, NodeStep
from workers.app import app
from workers.operators import progress_reporter, shown
from workers.poison import payload_of
from workers.retry import RETRY_OPTIONS, run_with_retries
from workers.runtime import deps

JSON = dict[str, Any]
log = logging.getLogger("codegen_tasks.workers")


def step_signatures(steps: tuple[NodeStep, ...], job: NodeJob, metadata: JSON) -> list[Any]:
    """The tasks running `steps` of one node of a run, with their payloads."""
    signatures = []
    for step in steps:
        payload = step.payload(job, metadata)
        signature = app.tasks[step.task].si(payload)
        signatures.append(signature.set(**shown(payload, job.service_name)))
    return signatures


def node_chain(job: NodeJob, metadata: JSON) -> Any:
    """generate → validate → discover for one node of a run (`NODE_STEPS`)."""
    return chain(*step_signatures(NODE_STEPS, job, metadata))


def final_task_id(run_id: str) -> str:
    """The id of the run's `codegen.finalize_run` task, whose result is its final state."""
    return f"{run_id}-final"


def dispatch_run(run_id: str, jobs: list[NodeJob], metadata: JSON) -> None:
    final = finalize_run.si(run_id).set(task_id=final_task_id(run_id), argsrepr=repr([run_id]))
    if not jobs:
        final.apply_async()
        return
    chord(group(node_chain(job, metadata) for job in jobs))(final)


@app.task(name=registry.GENERATE_PROJECT.name, **RETRY_OPTIONS)
def generate_project(self: Task, payload: JSON) -> Any:
    spec = registry.GENERATE_PROJECT
    request = payload_of(self, spec.payload_model, payload)
    run_id = request.run_id or str(self.request.id)
    addressed = request.model_copy(update={"run_id": run_id})
    jobs = run_with_retries(self, lambda: handlers.start_project(deps(), addressed))
    if jobs:
        dispatch_run(run_id, jobs, request.metadata.model_dump())
    planned = run_with_retries(
        self, lambda: handlers.planned_run(deps(), run_id, final_task_id(run_id))
    )
    return spec.wire(planned)


@app.task(name=registry.GENERATE_SERVICE.name, **RETRY_OPTIONS)
def generate_service(self: Task, payload: JSON) -> Any:
    spec = registry.GENERATE_SERVICE
    request = payload_of(self, spec.payload_model, payload)
    if request.run_id is None:
        record = _generate_single(self, request)
    else:
        with progress_listener(progress_reporter(self)), beating(request):
            record = run_with_retries(
                self,
                lambda: handlers.generate_service(deps(), request),
                lambda exc: handlers.generate_service_failed(deps(), request, exc),
            )
    return spec.wire(record)


def _generate_single(task: Task, request: GenerateServicePayload) -> GenerationRecord:
    """A backend asked for one node: a run of that node alone (the task's id), generated
    here, then validated, discovered and closed by a chain."""
    run_id = str(task.request.id)
    job = run_with_retries(task, lambda: handlers.start_single(deps(), request, run_id))
    record = run_with_retries(
        task, lambda: generate_node(deps(), job), lambda exc: record_failure(deps(), job, exc)
    )
    checks = step_signatures(NODE_STEPS[1:], job, request.metadata.model_dump())
    chain(*checks, finalize_run.si(run_id)).apply_async()
    return record


def _whole(task: Task, spec: registry.TaskSpec[Any, Any], payload: Any) -> Any:
    """A task that is its handler alone: parsed, run under the retry policy, answered."""
    request = payload_of(task, spec.payload_model, payload)
    handler = handlers.HANDLERS[spec.name]
    with beating(request):
        return spec.wire(run_with_retries(task, lambda: handler(deps(), request)))


def beating(request: Any) -> AbstractContextManager[None]:
    """A step of a run's node beats while it works (the liveness sweep leaves it alone)."""
    run_id, node_id = getattr(request, "run_id", None), getattr(request, "node_id", None)
    if isinstance(run_id, str) and isinstance(node_id, str):
        return heartbeat(deps(), run_id, node_id)
    return nullcontext()


@app.task(name=registry.LIVENESS_SWEEP.name, bind=True, acks_late=False)
def liveness_sweep(self: Task) -> Any:
    """Celery beat's periodic sweep (`pipeline/liveness.py`). With the database down it
    gives up this pass; the next one retries."""
    spec = registry.LIVENESS_SWEEP
    try:
        report = sweep(deps(), send_steps)
    except CodegenError as exc:
        if not exc.retryable:
            raise
        log.warning("liveness sweep: %s; the next sweep retries", exc.message)
        return spec.wire(SweepResult(error=exc.to_dict()))
    return spec.wire(SweepResult.model_validate(report.wire()))


def send_steps(job: NodeJob, steps: tuple[NodeStep, ...]) -> None:
    """The liveness sweep's re-dispatch: the node's remaining steps as one chain."""
    metadata = Metadata(user_id=job.user_id).model_dump()
    try:
        chain(*step_signatures(steps, job, metadata)).apply_async()
    except (KombuOperationalError, RedisError, OSError) as exc:
        raise BrokerError(f"cannot send {job.node_id}'s steps: {exc}") from exc


@app.task(name=registry.VALIDATE_SERVICE.name, **RETRY_OPTIONS)
def validate_service(self: Task, payload: JSON) -> Any:
    return _whole(self, registry.VALIDATE_SERVICE, payload)


@app.task(name=registry.VALIDATE_PROJECT.name, **RETRY_OPTIONS)
def validate_project(self: Task, payload: JSON) -> Any:
    return _whole(self, registry.VALIDATE_PROJECT, payload)


@app.task(name=registry.DISCOVER_CONTRACTS.name, **RETRY_OPTIONS)
def discover_contracts(self: Task, payload: JSON) -> Any:
    return _whole(self, registry.DISCOVER_CONTRACTS, payload)


@app.task(name=registry.VALIDATE_CONTRACTS.name, **RETRY_OPTIONS)
def validate_contracts(self: Task, payload: JSON) -> Any:
    return _whole(self, registry.VALIDATE_CONTRACTS, payload)


@app.task(name=registry.MERGE_BUNDLE.name, **RETRY_OPTIONS)
def merge_bundle(self: Task, payload: JSON) -> Any:
    """The export's per-file merge of a user's bundle with the new one, stored as a bundle."""
    return _whole(self, registry.MERGE_BUNDLE, payload)


@app.task(name=registry.FINALIZE_RUN.name, **RETRY_OPTIONS)
def finalize_run(self: Task, run_id: str) -> Any:
    closed = run_with_retries(self, lambda: handlers.finalize_run(deps(), run_id))
    return registry.FINALIZE_RUN.wire(closed)


@app.task(name=registry.REGENERATE_PROJECTS.name, **RETRY_OPTIONS)
def regenerate_projects(self: Task, payload: JSON) -> Any:
    """Start (or, with `batchId`, resume) a batch: one stable run per project."""
    spec = registry.REGENERATE_PROJECTS
    request = payload_of(self, spec.payload_model, payload)
    addressed = request.model_copy(update={"batch_id": request.batch_id or self.request.id})
    planned = run_with_retries(self, lambda: handlers.plan_batch(deps(), addressed))
    for run, project in handlers.batch_starts(addressed, planned):
        sub = project.wire()
        generate_project.apply_async(args=[sub], task_id=_task_id(run), **shown(sub))
    return spec.wire(planned)


def _task_id(run: BatchRun) -> str:
    """The run id for a new run; a fresh id when resuming (the old one may be recorded)."""
    return f"{run.run_id}-{uuid.uuid4().hex[:8]}" if run.resumed else run.run_id
