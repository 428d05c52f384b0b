"""Drive a project run through the task bodies in-process, as the Celery chord would."""

from __future__ import annotations

import uuid

from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.domain.results import RunResult
from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.check import discover_in_run, validate_in_run
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import generate_node, record_failure
from codegen_tasks.pipeline.project import close_run, start_run


def run_project(
    deps: Deps, payload: GenerateProjectPayload, *, ai_review: bool = False
) -> RunResult:
    """generate → validate → discover per node, then close the run. Retryable errors that
    outlast the task's retries are recorded as failures, like the Celery wrapper does."""
    run_id = payload.run_id or uuid.uuid4().hex
    plan = start_run(deps, payload, run_id)
    for job in plan.jobs:
        try:
            generate_node(deps, job)
        except CodegenError as exc:
            assert exc.retryable, exc
            record_failure(deps, job, exc)
        validate_in_run(deps, run_id, job.node_id, ai_review=ai_review)
        discover_in_run(deps, run_id, job.node_id, ai_review=ai_review)
    return close_run(deps, run_id)
