"""JSON Schema of the backend API: every task payload and result, camelCase as on the wire."""

from __future__ import annotations

from typing import Any

from codegen_tasks.client import TASKS
from codegen_tasks.history.records import GenerationRecord
from codegen_tasks.messages import (
    ContractSet,
    ContractVerdict,
    Message,
    RunResult,
    ValidationResult,
)

RESULTS: dict[str, type[Any]] = {
    "codegen.generate_project": RunResult,
    "codegen.generate_service": GenerationRecord,
    "codegen.validate_service": ValidationResult,
    "codegen.discover_contracts": ContractSet,
    "codegen.validate_contracts": ContractVerdict,
}


def all_schemas() -> dict[str, Any]:
    """`{task}.payload` and `{task}.result` schemas, keyed by name."""
    out: dict[str, Any] = {}
    for task, payload in TASKS.items():
        out[f"{task}.payload"] = payload.model_json_schema(by_alias=True)
        result = RESULTS.get(task)
        if result is not None:
            by_alias = issubclass(result, Message)
            out[f"{task}.result"] = result.model_json_schema(by_alias=by_alias)
    return out
