"""What operators see in Flower: short argument summaries and a PROGRESS state."""

from __future__ import annotations

import json
from typing import Any

from celery import Task

from codegen_tasks.api.summary import summary
from codegen_tasks.pipeline.progress import ProgressListener

PROGRESS = "PROGRESS"
PROGRESS_EVENT = "task-progress"  # Flower's state: the event type after "task-", upper case


def shown(payload: dict[str, Any], service_name: str | None = None) -> dict[str, str]:
    """apply_async/signature options: Flower shows these instead of the payload."""
    return {"argsrepr": summary(payload, service_name), "kwargsrepr": "{}"}


def progress_reporter(task: Task) -> ProgressListener:
    """Publish streamed tokens (already throttled) as the task's custom PROGRESS state in the
    result backend, and as a `task-progress` event: Flower, which follows events, then shows
    the task in state PROGRESS with the progress as its result until it finishes."""

    def report(run_id: str, node_id: str, tokens: int) -> None:
        if task.request.id is None or task.request.is_eager:
            return
        meta = {"runId": run_id, "nodeId": node_id, "streamedTokens": tokens}
        task.update_state(state=PROGRESS, meta=meta)
        task.send_event(PROGRESS_EVENT, result=json.dumps(meta))

    return report
