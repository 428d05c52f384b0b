"""The local runner (embedded mode, no broker): a task of the registry run in this process
through the same handlers as the workers, under the tasks' retry policy.

A project run is an `EmbeddedRun` (its nodes concurrently); a single node is generated,
validated and discovered in its own run, as the workers' chain does; a batch runs its
projects one after the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from codegen_tasks.api import registry
from codegen_tasks.api.payloads import (
    GenerateProjectPayload,
    GenerateServicePayload,
    RegenerateProjectsPayload,
)
from codegen_tasks.api.registry import TaskSpec
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import RunResult
from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline import handlers
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.embedded import EmbeddedRun
from codegen_tasks.pipeline.generate import generate_node, record_failure
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.retries import with_retries
from codegen_tasks.pipeline.steps import NODE_STEPS, NodeStep

T = TypeVar("T")


class LocalRunner:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def run(self, spec: TaskSpec[Any, Any], payload: Message, task_id: str) -> BaseModel:
        """The task's result model (validated against the registry's); `task_id` is what
        the workers would take from the task: a new run's or batch's id."""
        if spec is registry.GENERATE_PROJECT:
            result: BaseModel = self.project(_as(payload, GenerateProjectPayload), task_id)
        elif spec is registry.GENERATE_SERVICE:
            result = self.service(_as(payload, GenerateServicePayload), task_id)
        elif spec is registry.REGENERATE_PROJECTS:
            result = self.batch(_as(payload, RegenerateProjectsPayload), task_id)
        else:
            handler = handlers.HANDLERS[spec.name]
            result = self.retrying(spec.name, lambda: handler(self.deps, payload))
        spec.wire(result)  # refuses a result that is not the published model
        return result

    def project(self, payload: GenerateProjectPayload, run_id: str) -> RunResult:
        addressed = payload if payload.run_id else payload.model_copy(update={"run_id": run_id})
        return EmbeddedRun(self.deps, addressed).run()

    def service(self, payload: GenerateServicePayload, run_id: str) -> GenerationRecord:
        deps, name = self.deps, registry.GENERATE_SERVICE.name
        if payload.run_id is not None:
            return self.retrying(
                name,
                lambda: handlers.generate_service(deps, payload),
                lambda exc: handlers.generate_service_failed(deps, payload, exc),
            )
        job = self.retrying(name, lambda: handlers.start_single(deps, payload, run_id))
        record = self.retrying(
            name, lambda: generate_node(deps, job), lambda exc: record_failure(deps, job, exc)
        )
        for step in NODE_STEPS[1:]:  # validate, discover: the workers' chain after generate
            self.retrying(step.task, _step_body(step, deps, job))
        self.retrying(registry.FINALIZE_RUN.name, lambda: handlers.finalize_run(deps, run_id))
        return record

    def batch(self, payload: RegenerateProjectsPayload, batch_id: str) -> BaseModel:
        addressed = payload.model_copy(update={"batch_id": payload.batch_id or batch_id})
        name = registry.REGENERATE_PROJECTS.name
        planned = self.retrying(name, lambda: handlers.plan_batch(self.deps, addressed))
        for _, project in handlers.batch_starts(addressed, planned):
            EmbeddedRun(self.deps, project).run()
        return planned

    def retrying(
        self,
        name: str,
        work: Callable[[], T],
        give_up: Callable[[CodegenError], T] | None = None,
    ) -> T:
        settings = self.deps.settings
        return with_retries(name, work, give_up, settings=settings, wait=_sleep)


def _sleep(countdown: float, _exc: CodegenError) -> None:
    time.sleep(countdown)


def _step_body(step: NodeStep, deps: Deps, job: NodeJob) -> Callable[[], object]:
    return lambda: step.run(deps, job)


def _as(payload: Message, model: type[T]) -> T:
    if not isinstance(payload, model):
        raise CodegenError(f"expected {model.__name__}, not {type(payload).__name__}")
    return payload
