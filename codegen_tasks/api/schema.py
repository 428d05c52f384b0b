"""JSON Schema of the backend API: every task payload and result, camelCase as on the wire."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from codegen_tasks.api.client import TASKS
from codegen_tasks.api.results import (
    ContractVerdict,
    RegenerateProjectsResult,
    ServiceValidation,
    ValidateProjectResult,
)
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ContractSet, RunResult, ValidationResult
from codegen_tasks.export.bundles import MergeBundleResult


class ProjectValidations(BaseModel):
    """`codegen.validate_service` without a nodeId: every service of the project."""

    services: list[ServiceValidation]


RESULTS: dict[str, Any] = {
    "codegen.generate_project": RunResult,
    "codegen.generate_service": GenerationRecord,
    "codegen.validate_project": ValidateProjectResult,
    "codegen.validate_service": ValidationResult | ProjectValidations,
    "codegen.discover_contracts": ContractSet,
    "codegen.validate_contracts": ContractVerdict,
    "codegen.regenerate_projects": RegenerateProjectsResult,
    "codegen.merge_bundle": MergeBundleResult,
}


def all_schemas() -> dict[str, Any]:
    """`{task}.payload` and `{task}.result` schemas, keyed by name (every task has both)."""
    out: dict[str, Any] = {}
    for task, payload in TASKS.items():
        out[f"{task}.payload"] = payload.model_json_schema(by_alias=True)
        out[f"{task}.result"] = TypeAdapter(RESULTS[task]).json_schema(by_alias=True)
    return out
