"""What operators see in Flower: short argument summaries and a PROGRESS state."""

from __future__ import annotations

from typing import Any

from celery import Task

from codegen_tasks.client import summary
from codegen_tasks.pipeline.progress import ProgressListener

PROGRESS = "PROGRESS"


def shown(payload: dict[str, Any]) -> dict[str, str]:
    """apply_async/signature options: Flower shows these instead of the payload."""
    return {"argsrepr": summary(payload), "kwargsrepr": "{}"}


def progress_reporter(task: Task) -> ProgressListener:
    """Publish streamed tokens as the task's custom PROGRESS state (already throttled)."""

    def report(run_id: str, node_id: str, tokens: int) -> None:
        if task.request.id is None or task.request.is_eager:
            return
        meta = {"runId": run_id, "nodeId": node_id, "streamedTokens": tokens}
        task.update_state(state=PROGRESS, meta=meta)

    return report
