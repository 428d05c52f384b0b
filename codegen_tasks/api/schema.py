"""JSON Schema of the backend API: every public task's payload and result, camelCase as on
the wire, from the registry's models (the ones the tasks return)."""

from __future__ import annotations

from typing import Any

from codegen_tasks.api.registry import PUBLIC


def all_schemas() -> dict[str, Any]:
    """`{task}.payload` and `{task}.result` schemas, keyed by name (every task has both)."""
    out: dict[str, Any] = {}
    for name, spec in PUBLIC.items():
        out[f"{name}.payload"] = spec.payload_model.model_json_schema(by_alias=True)
        out[f"{name}.result"] = spec.result.model_json_schema(by_alias=True)
    return out
