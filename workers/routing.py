"""Queues: LLM-bound generation (threads, high concurrency) apart from CPU-bound checks."""

from __future__ import annotations

from typing import Any

LLM_QUEUE = "codegen.llm"
CHECK_QUEUE = "codegen.check"
CONTROL_QUEUE = "codegen.control"

TASK_ROUTES: dict[str, dict[str, Any]] = {
    "codegen.generate_service": {"queue": LLM_QUEUE},
    "codegen.validate_service": {"queue": CHECK_QUEUE},
    "codegen.validate_project": {"queue": CHECK_QUEUE},
    "codegen.discover_contracts": {"queue": CHECK_QUEUE},
    "codegen.validate_contracts": {"queue": CHECK_QUEUE},
    "codegen.generate_project": {"queue": CONTROL_QUEUE},
    "codegen.finalize_run": {"queue": CONTROL_QUEUE},
    "codegen.regenerate_projects": {"queue": CONTROL_QUEUE},
    "codegen.merge_bundle": {"queue": CONTROL_QUEUE},
}

ALL_QUEUES = (LLM_QUEUE, CHECK_QUEUE, CONTROL_QUEUE)
