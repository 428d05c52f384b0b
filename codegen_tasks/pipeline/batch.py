"""Batch regeneration: stable run ids per (batch, project), so a rerun of the batch resumes.

A finished run is not redone; an unfinished one is re-dispatched under its own id, where
nodes that already finished are left alone and a generated node is never generated again
(its generation is found by idempotency key).
"""

from __future__ import annotations

import uuid

from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata, RegenerateProjectsPayload
from codegen_tasks.api.results import BatchRun
from codegen_tasks.errors import NotFoundError
from codegen_tasks.pipeline.latest import batch_run_id
from codegen_tasks.ports.history import HistoryStore


def new_batch_id() -> str:
    return uuid.uuid4().hex[:16]


def batch_run(history: HistoryStore, batch_id: str, project_id: str) -> BatchRun:
    """The project's run in the batch, and whether it exists or finished already."""
    run_id = batch_run_id(batch_id, project_id)
    try:
        info = history.run_info(run_id)
    except NotFoundError:
        return BatchRun(project_id=project_id, run_id=run_id)
    return BatchRun(
        project_id=project_id, run_id=run_id, resumed=True, finished=info.finished_at is not None
    )


def run_payload(
    request: RegenerateProjectsPayload, batch_id: str, run: BatchRun
) -> GenerateProjectPayload:
    """The generate_project payload of one project of the batch (graph from storage or the
    Graph Service)."""
    return GenerateProjectPayload(
        metadata=request.metadata or Metadata(),
        project_id=run.project_id,
        ai_model=request.ai_model,
        force_regenerate=request.force_regenerate,
        run_id=run.run_id,
        batch_id=batch_id,
    )
