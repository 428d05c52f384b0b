"""The task bodies: plain functions `(deps, payload) -> result model`, one per task of the
registry (`codegen_tasks.api.registry`). The Celery tasks (`workers.tasks`) and the local
runner (`pipeline.local`, embedded mode) both call these, each under the retry policy; what
must be Celery (a run's chord, a batch's dispatch) stays with the workers, fed by the plans
returned here (`start_project`, `plan_batch`).

Every handler may be run again after a retryable error: each one is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from codegen_tasks.api import registry
from codegen_tasks.api.payloads import (
    ContractsPayload,
    GenerateProjectPayload,
    GenerateServicePayload,
    MergeBundlePayload,
    RegenerateProjectsPayload,
    ValidatePayload,
)
from codegen_tasks.api.results import (
    BatchRun,
    ContractVerdict,
    MergeBundleResult,
    ProjectValidations,
    RegenerateProjectsResult,
    ServiceValidation,
    ServiceValidationResult,
    ValidateProjectResult,
)
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ContractSet, RunResult, RunStatus
from codegen_tasks.errors import CodegenError, PayloadError
from codegen_tasks.export.bundles import merge_bundles
from codegen_tasks.pipeline import batch, latest
from codegen_tasks.pipeline.check import discover_in_run, validate_in_run
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import generate_node, record_failure
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.project import close_run, run_result, start_run, unfinished_jobs

Handler = Callable[[Deps, Any], BaseModel]


def _required(value: str | None, field: str) -> str:
    if value is None:  # the edge fills it (the task id) before calling the handler
        raise PayloadError(f"{field} is required here", problems=[f"{field}: required"])
    return value


# codegen.generate_project: the run is planned here, its nodes dispatched by the runner
def start_project(deps: Deps, payload: GenerateProjectPayload) -> list[NodeJob]:
    """Create (or, redelivered, resume) the run `payload.runId`: the nodes still to run. A
    run left with none (every node unchanged, or all finished before) is closed here."""
    run_id = _required(payload.run_id, "runId")
    plan = start_run(deps, payload, run_id, payload.batch_id)
    if not plan.created and deps.history.run_info(run_id).finished_at:
        return []
    jobs = plan.jobs if plan.created else unfinished_jobs(deps, plan)
    if not jobs:
        close_run(deps, run_id)
    return jobs


def planned_run(deps: Deps, run_id: str, final_task_id: str) -> RunResult:
    """The project task's answer: the run as planned; while it runs, the task whose result
    will be its final state."""
    planned = run_result(deps, run_id)
    if planned.status is RunStatus.RUNNING:
        planned = planned.model_copy(update={"final_task_id": final_task_id})
    return planned


# codegen.finalize_run
def finalize_run(deps: Deps, run_id: str) -> RunResult:
    return close_run(deps, run_id)


# codegen.generate_service
def service_job(deps: Deps, payload: GenerateServicePayload) -> NodeJob:
    """The node of a run (`payload.runId`) to generate."""
    return NodeJob.of(payload, _required(payload.run_id, "runId"), deps.settings)


def generate_service(deps: Deps, payload: GenerateServicePayload) -> GenerationRecord:
    return generate_node(deps, service_job(deps, payload))


def generate_service_failed(
    deps: Deps, payload: GenerateServicePayload, exc: CodegenError
) -> GenerationRecord:
    """The retries ran out: the failure is recorded as the node's generation."""
    return record_failure(deps, service_job(deps, payload), exc)


def start_single(deps: Deps, payload: GenerateServicePayload, run_id: str) -> NodeJob:
    """A backend asked for one node outside a run: the run `run_id` of that node alone
    (then generated, validated and discovered like any node of a run)."""
    return start_run(deps, payload.project_payload(), run_id).jobs[0]


# codegen.validate_service / codegen.validate_project
def validate_service(deps: Deps, payload: ValidatePayload) -> ServiceValidationResult:
    """The node's validation: in its run, else of its latest bundle; every service's
    without a nodeId."""
    node, review = payload.node_id, payload.ai_review
    if node is None:
        return ServiceValidationResult(ProjectValidations(services=_validations(deps, payload)))
    if payload.run_id is not None:
        return ServiceValidationResult(
            validate_in_run(deps, payload.run_id, node, ai_review=review)
        )
    found = latest.validate_latest(deps, payload.project_id, node, ai_review=review)
    return ServiceValidationResult(found)


def validate_project(deps: Deps, payload: ValidatePayload) -> ValidateProjectResult:
    return ValidateProjectResult(
        project_id=payload.project_id, services=_validations(deps, payload)
    )


def _validations(deps: Deps, payload: ValidatePayload) -> list[ServiceValidation]:
    return latest.validate_project(
        deps, payload.project_id, payload.node_id, ai_review=payload.ai_review
    )


# codegen.discover_contracts / codegen.validate_contracts
def discover_contracts(deps: Deps, payload: ContractsPayload) -> ContractSet:
    """The node's contracts: in its run (AI descriptions on request), else of its latest
    bundle."""
    if payload.run_id is None:
        return latest.discover_latest(deps, payload.project_id, payload.node_id)
    found = discover_in_run(deps, payload.run_id, payload.node_id, ai_review=payload.ai_review)
    return ContractSet(contracts=found)


def validate_contracts(deps: Deps, payload: ContractsPayload) -> ContractVerdict:
    return latest.verify_contracts(deps, payload.project_id, payload.node_id)


# codegen.merge_bundle
def merge_bundle(deps: Deps, payload: MergeBundlePayload) -> MergeBundleResult:
    return merge_bundles(deps, payload)


# codegen.regenerate_projects: the batch is planned here, its runs started by the runner
def plan_batch(deps: Deps, payload: RegenerateProjectsPayload) -> RegenerateProjectsResult:
    """The batch `payload.batchId`: one stable run per selected project, and whether it
    exists or finished already (a rerun of the batch)."""
    batch_id = _required(payload.batch_id, "batchId")
    project_ids = latest.select_projects(deps, payload)
    runs = [batch.batch_run(deps.history, batch_id, p) for p in project_ids]
    return RegenerateProjectsResult(batch_id=batch_id, runs=runs)


def batch_starts(
    payload: RegenerateProjectsPayload, planned: RegenerateProjectsResult
) -> list[tuple[BatchRun, GenerateProjectPayload]]:
    """The runs of the batch to start (not finished before), with their project payloads."""
    return [
        (run, batch.run_payload(payload, planned.batch_id, run))
        for run in planned.runs
        if not run.finished
    ]


# The handlers that are the whole task body, by task name (the others above are the parts
# of a task the runner composes: a project run, a single node, a batch).
HANDLERS: dict[str, Handler] = {
    registry.VALIDATE_SERVICE.name: validate_service,
    registry.VALIDATE_PROJECT.name: validate_project,
    registry.DISCOVER_CONTRACTS.name: discover_contracts,
    registry.VALIDATE_CONTRACTS.name: validate_contracts,
    registry.MERGE_BUNDLE.name: merge_bundle,
}
