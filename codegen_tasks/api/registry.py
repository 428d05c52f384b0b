"""Every task, once: its name (what backends enqueue), payload model, result model and queue.

Routing, the client's task table, the Celery task decorators, the handlers' table and the
JSON Schemas all derive from `REGISTRY`; no other module spells a task name or a queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from codegen_tasks.api.payloads import (
    ContractsPayload,
    GenerateProjectPayload,
    GenerateServicePayload,
    MergeBundlePayload,
    RegenerateProjectsPayload,
    ValidatePayload,
)
from codegen_tasks.api.results import (
    ContractVerdict,
    MergeBundleResult,
    RegenerateProjectsResult,
    ServiceValidationResult,
    SweepResult,
    ValidateProjectResult,
)
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ContractSet, RunResult
from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import CodegenError

# Queues: LLM-bound generation (threads, high concurrency) apart from CPU-bound checks.
LLM_QUEUE = "codegen.llm"
CHECK_QUEUE = "codegen.check"
CONTROL_QUEUE = "codegen.control"
ALL_QUEUES = (LLM_QUEUE, CHECK_QUEUE, CONTROL_QUEUE)

P = TypeVar("P", bound=Message)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class TaskSpec(Generic[P, R]):
    """One task. `payload` is None for an internal task (a chord callback given a run id):
    backends do not enqueue it and it has no payload schema."""

    name: str
    payload: type[P] | None
    result: type[R]
    queue: str

    @property
    def public(self) -> bool:
        return self.payload is not None

    @property
    def payload_model(self) -> type[P]:
        if self.payload is None:
            raise CodegenError(f"{self.name} is internal: it takes a run id, not a payload")
        return self.payload

    def wire(self, result: BaseModel) -> Any:
        """The task's JSON result: `result` must be this task's published result model."""
        if not isinstance(result, self.result):
            raise TypeError(
                f"{self.name} returns {self.result.__name__}, not {type(result).__name__}"
            )
        return result.model_dump(mode="json", by_alias=True)

    def route(self) -> dict[str, str]:
        return {"queue": self.queue}


GENERATE_PROJECT = TaskSpec(
    "codegen.generate_project", GenerateProjectPayload, RunResult, CONTROL_QUEUE
)
GENERATE_SERVICE = TaskSpec(
    "codegen.generate_service", GenerateServicePayload, GenerationRecord, LLM_QUEUE
)
VALIDATE_PROJECT = TaskSpec(
    "codegen.validate_project", ValidatePayload, ValidateProjectResult, CHECK_QUEUE
)
VALIDATE_SERVICE = TaskSpec(
    "codegen.validate_service", ValidatePayload, ServiceValidationResult, CHECK_QUEUE
)
DISCOVER_CONTRACTS = TaskSpec(
    "codegen.discover_contracts", ContractsPayload, ContractSet, CHECK_QUEUE
)
VALIDATE_CONTRACTS = TaskSpec(
    "codegen.validate_contracts", ContractsPayload, ContractVerdict, CHECK_QUEUE
)
REGENERATE_PROJECTS = TaskSpec(
    "codegen.regenerate_projects",
    RegenerateProjectsPayload,
    RegenerateProjectsResult,
    CONTROL_QUEUE,
)
MERGE_BUNDLE = TaskSpec(
    "codegen.merge_bundle", MergeBundlePayload, MergeBundleResult, CONTROL_QUEUE
)
# the chord callback closing a run: its argument is the run id, its result the final state
FINALIZE_RUN: TaskSpec[Message, RunResult] = TaskSpec(
    "codegen.finalize_run", None, RunResult, CONTROL_QUEUE
)

# Celery beat's liveness sweep (pipeline/liveness.py): no argument
LIVENESS_SWEEP: TaskSpec[Message, SweepResult] = TaskSpec(
    "codegen.liveness_sweep", None, SweepResult, CONTROL_QUEUE
)

REGISTRY: dict[str, TaskSpec[Any, Any]] = {
    spec.name: spec
    for spec in (
        GENERATE_PROJECT,
        GENERATE_SERVICE,
        VALIDATE_PROJECT,
        VALIDATE_SERVICE,
        DISCOVER_CONTRACTS,
        VALIDATE_CONTRACTS,
        REGENERATE_PROJECTS,
        MERGE_BUNDLE,
        FINALIZE_RUN,
        LIVENESS_SWEEP,
    )
}
PUBLIC: dict[str, TaskSpec[Any, Any]] = {n: s for n, s in REGISTRY.items() if s.public}
TASK_ROUTES: dict[str, dict[str, str]] = {name: s.route() for name, s in REGISTRY.items()}


def public_task(name: str) -> TaskSpec[Any, Any]:
    """The public task called `name`, or CodegenError listing the known ones."""
    spec = PUBLIC.get(name)
    if spec is None:
        raise CodegenError(f"unknown task {name!r}; known: {sorted(PUBLIC)}")
    return spec
