"""Task results a backend gets back beyond a run's: batches, contract verdicts, validations."""

from __future__ import annotations

from pydantic import Field

from codegen_tasks.domain.results import Contract, Finding, ValidationResult
from codegen_tasks.domain.wire import Message


class BatchRun(Message):
    project_id: str
    run_id: str
    resumed: bool = False  # the run existed already (a rerun of the batch)
    finished: bool = False  # ...and was finished: it is not redone


class RegenerateProjectsResult(Message):
    """`codegen.regenerate_projects`: the batch id and one stable run id per project."""

    batch_id: str
    runs: list[BatchRun] = Field(default_factory=list)


class ContractVerdict(Message):
    """`codegen.validate_contracts`: a node's contracts against what its dependants call."""

    node_id: str
    service_name: str
    passed: bool
    contracts: list[Contract] = Field(default_factory=list)
    errors: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)


class ServiceValidation(Message):
    """One service of `codegen.validate_project`; `error` when it has no bundle yet."""

    node_id: str
    service_name: str
    validation: ValidationResult | None = None
    error: str | None = None


class ValidateProjectResult(Message):
    project_id: str
    services: list[ServiceValidation] = Field(default_factory=list)
