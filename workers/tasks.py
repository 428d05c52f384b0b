"""The Celery tasks, by the names backends enqueue. Each one: parse, call the core, return JSON."""

from __future__ import annotations

import uuid
from typing import Any

from celery import Task, chain, chord, group

from codegen_tasks.api.payloads import (
    ContractsPayload,
    GenerateProjectPayload,
    GenerateServicePayload,
    MergeBundlePayload,
    RegenerateProjectsPayload,
    ValidatePayload,
)
from codegen_tasks.api.results import BatchRun, RegenerateProjectsResult, ValidateProjectResult
from codegen_tasks.domain.results import RunStatus
from codegen_tasks.export.bundles import merge_bundles
from codegen_tasks.pipeline import batch, latest
from codegen_tasks.pipeline.check import discover_in_run, validate_in_run
from codegen_tasks.pipeline.generate import generate_node, record_failure
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.progress import progress_listener
from codegen_tasks.pipeline.project import close_run, run_result, start_run, unfinished_jobs
from codegen_tasks.pipeline.steps import NODE_STEPS, NodeStep
from workers.app import app
from workers.operators import progress_reporter, shown
from workers.poison import payload_of
from workers.retry import RETRY_OPTIONS, run_with_retries
from workers.runtime import deps

JSON = dict[str, Any]


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


@app.task(name="codegen.generate_project", **RETRY_OPTIONS)
def generate_project(self: Task, payload: JSON) -> JSON:
    request = payload_of(self, GenerateProjectPayload, payload)
    run_id = request.run_id or self.request.id
    plan = run_with_retries(self, lambda: start_run(deps(), request, run_id, request.batch_id))
    if plan.created or not deps().history.run_info(run_id).finished_at:
        jobs = plan.jobs if plan.created else unfinished_jobs(deps(), plan)
        if not jobs:  # every node was unchanged: close the run here, without a task hop
            return run_with_retries(self, lambda: close_run(deps(), run_id)).wire()
        dispatch_run(run_id, jobs, request.metadata.model_dump())
    planned = run_result(deps(), run_id)
    if planned.status is RunStatus.RUNNING:  # the final state will be the finalize task's
        planned = planned.model_copy(update={"final_task_id": final_task_id(run_id)})
    return planned.wire()


@app.task(name="codegen.generate_service", **RETRY_OPTIONS)
def generate_service(self: Task, payload: JSON) -> JSON:
    request = payload_of(self, GenerateServicePayload, payload)
    if request.run_id is None:
        return _generate_single(self, request)
    job = NodeJob.of(request, request.run_id, deps().settings)
    with progress_listener(progress_reporter(self)):
        record = run_with_retries(
            self, lambda: generate_node(deps(), job), lambda exc: record_failure(deps(), job, exc)
        )
    return record.model_dump(mode="json", by_alias=True)


def _generate_single(task: Task, request: GenerateServicePayload) -> JSON:
    """A backend asked for one node: a run of that node alone, validated and discovered."""
    project = request.project_payload()
    run_id = task.request.id
    plan = run_with_retries(task, lambda: start_run(deps(), project, run_id))
    job = plan.jobs[0]
    record = run_with_retries(
        task, lambda: generate_node(deps(), job), lambda exc: record_failure(deps(), job, exc)
    )
    checks = step_signatures(NODE_STEPS[1:], job, request.metadata.model_dump())
    chain(*checks, finalize_run.si(run_id)).apply_async()
    return record.model_dump(mode="json", by_alias=True)


@app.task(name="codegen.validate_service", **RETRY_OPTIONS)
def validate_service(self: Task, payload: JSON) -> JSON | None:
    request = payload_of(self, ValidatePayload, payload)
    if request.node_id is None:
        services = latest.validate_project(deps(), request.project_id, ai_review=request.ai_review)
        return {"services": [s.wire() for s in services]}
    node_id = request.node_id
    if request.run_id is not None:
        run_id = request.run_id
        result = run_with_retries(
            self, lambda: validate_in_run(deps(), run_id, node_id, ai_review=request.ai_review)
        )
    else:
        result = run_with_retries(
            self,
            lambda: latest.validate_latest(
                deps(), request.project_id, node_id, ai_review=request.ai_review
            ),
        )
    return result.wire() if result is not None else None


@app.task(name="codegen.validate_project", **RETRY_OPTIONS)
def validate_project(self: Task, payload: JSON) -> JSON:
    request = payload_of(self, ValidatePayload, payload)
    services = run_with_retries(
        self,
        lambda: latest.validate_project(
            deps(), request.project_id, request.node_id, ai_review=request.ai_review
        ),
    )
    return ValidateProjectResult(project_id=request.project_id, services=services).wire()


@app.task(name="codegen.discover_contracts", **RETRY_OPTIONS)
def discover_contracts(self: Task, payload: JSON) -> JSON:
    request = payload_of(self, ContractsPayload, payload)
    if request.run_id is not None:
        run_id = request.run_id
        found = run_with_retries(
            self,
            lambda: discover_in_run(deps(), run_id, request.node_id, ai_review=request.ai_review),
        )
        return {"contracts": [c.wire() for c in found]}
    contracts = run_with_retries(
        self, lambda: latest.discover_latest(deps(), request.project_id, request.node_id)
    )
    return contracts.wire()


@app.task(name="codegen.validate_contracts", **RETRY_OPTIONS)
def validate_contracts(self: Task, payload: JSON) -> JSON:
    request = payload_of(self, ContractsPayload, payload)
    verdict = run_with_retries(
        self, lambda: latest.verify_contracts(deps(), request.project_id, request.node_id)
    )
    return verdict.wire()


@app.task(name="codegen.merge_bundle", **RETRY_OPTIONS)
def merge_bundle(self: Task, payload: JSON) -> JSON:
    """The export's per-file merge of a user's bundle with the new one, stored as a bundle."""
    request = payload_of(self, MergeBundlePayload, payload)
    return run_with_retries(self, lambda: merge_bundles(deps(), request)).wire()


@app.task(name="codegen.finalize_run", **RETRY_OPTIONS)
def finalize_run(self: Task, run_id: str) -> JSON:
    return run_with_retries(self, lambda: close_run(deps(), run_id)).wire()


@app.task(name="codegen.regenerate_projects", **RETRY_OPTIONS)
def regenerate_projects(self: Task, payload: JSON) -> JSON:
    """Start (or, with `batchId`, resume) a batch: one stable run per project."""
    request = payload_of(self, RegenerateProjectsPayload, payload)
    project_ids = run_with_retries(self, lambda: latest.select_projects(deps(), request))
    batch_id = request.batch_id or self.request.id
    runs = [batch.batch_run(deps().history, batch_id, p) for p in project_ids]
    for run in runs:
        if not run.finished:
            sub = batch.run_payload(request, batch_id, run).wire()
            generate_project.apply_async(args=[sub], task_id=_task_id(run), **shown(sub))
    return RegenerateProjectsResult(batch_id=batch_id, runs=runs).wire()


def _task_id(run: BatchRun) -> str:
    """The run id for a new run; a fresh id when resuming (the old one may be recorded)."""
    return f"{run.run_id}-{uuid.uuid4().hex[:8]}" if run.resumed else run.run_id
