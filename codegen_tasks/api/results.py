"""Task results a backend gets back beyond a run's: batches, contract verdicts, validations,
bundle merges. The published models: tasks return them and the JSON Schemas describe them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, RootModel, SerializerFunctionWrapHandler, model_serializer

from codegen_tasks.domain.results import Contract, Finding, ValidationResult
from codegen_tasks.domain.wire import Message
from codegen_tasks.export.merge import FileChange


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


class ValidationEntry(Message):
    """One service's entry in a validation answer: a field without a value is left out
    rather than sent as null (the validation or the error, whichever it has)."""

    @model_serializer(mode="wrap")
    def _present_only(self, dump: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = dump(self)
        return {key: value for key, value in data.items() if value is not None}


class ServiceValidation(ValidationEntry):
    """One service of `codegen.validate_project`; `error` when it has no bundle yet."""

    node_id: str
    service_name: str
    validation: ValidationResult | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """No validation (the error says why), or one with errors."""
        return self.validation is None or bool(self.validation.errors)


class FolderValidation(ValidationEntry):
    """One service folder of `codegen validate --path`: an export's (its graph node known)
    or code alone (`source` "code": the spec-driven levels were not run)."""

    path: str
    service_name: str
    source: Literal["export", "code"]
    node_id: str | None = None  # the export's node
    validation: ValidationResult

    @property
    def failed(self) -> bool:
        return bool(self.validation.errors)


class ValidateProjectResult(Message):
    project_id: str
    services: list[ServiceValidation] = Field(default_factory=list)


class ProjectValidations(Message):
    """`codegen.validate_service` without a nodeId: every service of the project."""

    services: list[ServiceValidation]


class ServiceValidationResult(RootModel[ValidationResult | ProjectValidations | None]):
    """`codegen.validate_service`: the node's validation; every service's without a nodeId;
    null for a node of a run whose generation failed (nothing to validate)."""


class MergeBundleResult(Message):
    """`codegen.merge_bundle`: the merged bundle stored, and what the merge did per file."""

    project_id: str
    node_id: str
    bundle_uri: str  # the merged bundle
    bundle_hash: str
    base_bundle_uri: str
    user_bundle_uri: str
    new_bundle_uri: str
    clean: bool  # no conflict markers in the merged bundle
    conflicts: list[str] = Field(default_factory=list)
    changes: list[FileChange] = Field(default_factory=list)  # paths relative to the bundle
    summary: dict[str, int] = Field(default_factory=dict)


class SweepResult(Message):
    """`codegen.liveness_sweep`: the nodes sent again and failed ("run/node"), the runs
    closed; `error` when the pass gave up (the database was down)."""

    redispatched: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    closed: list[str] = Field(default_factory=list)
    error: dict[str, Any] | None = None
