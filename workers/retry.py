"""Retries of the Celery tasks: the pipeline's policy (`codegen_tasks.pipeline.retries`),
a retry being a new delivery after the countdown."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from codegen_tasks.errors import CodegenError, TimeLimitError
from codegen_tasks.pipeline.retries import with_retries
from codegen_tasks.settings import get_settings

T = TypeVar("T")

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
}  # the retry limit is CODEGEN_MAX_RETRIES, read when a task retries (run_with_retries); the
# countdown is pipeline/backoff.py's equal jitter, never Celery's full-jitter retry_jitter


def run_with_retries(
    task: Task, work: Callable[[], T], give_up: Callable[[CodegenError], T] | None = None
) -> T:
    """Run `work` under the retry policy. On workers a retry is a new delivery after the
    countdown (`task.retry`). Eager tasks cannot go through `task.retry`: with
    `task_eager_propagates` Celery re-raises its Retry to the caller. They sleep the
    countdown and run `work` again here."""
    settings = get_settings()

    def wait(countdown: float, exc: CodegenError) -> None:
        if not task.request.is_eager:
            raise task.retry(exc=exc, countdown=countdown, max_retries=settings.max_retries)
        time.sleep(countdown)

    def limited() -> T:
        """The soft time limit (pipeline/time_limits.py) becomes a recorded, final error."""
        try:
            return work()
        except SoftTimeLimitExceeded as exc:
            raise TimeLimitError(task.name, float(task.soft_time_limit or 0)) from exc

    return with_retries(
        task.name, limited, give_up, settings=settings, wait=wait, retries=task.request.retries or 0
    )
