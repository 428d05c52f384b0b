"""Retry policy of every task: Celery's exponential backoff with full jitter, Retry-After
honoured, non-retryable errors failing at once with their data."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from celery.utils.time import get_exponential_backoff_interval

from codegen_tasks.errors import CodegenError, TaskFailedError

T = TypeVar("T")
log = logging.getLogger("codegen_tasks.workers")

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


def countdown_for(task: Task, exc: CodegenError) -> float:
    """Celery's backoff for this attempt; never sooner than the provider's Retry-After."""
    backoff = get_exponential_backoff_interval(
        factor=task.retry_backoff,
        retries=task.request.retries,
        maximum=task.retry_backoff_max,
        full_jitter=task.retry_jitter,
    )
    retry_after = exc.data.get("retry_after") or 0
    return max(float(backoff), float(retry_after), 0.5)


def run_with_retries(
    task: Task, work: Callable[[], T], give_up: Callable[[CodegenError], T] | None = None
) -> T:
    """Run `work`; retry retryable errors; hand the last one to `give_up` when retries run out."""
    try:
        return work()
    except CodegenError as exc:
        if exc.retryable and task.request.retries < task.max_retries:
            countdown = countdown_for(task, exc)
            log.warning(
                "%s: %s; retry %d/%d in %.1fs",
                task.name,
                exc.message,
                task.request.retries + 1,
                task.max_retries,
                countdown,
            )
            if task.request.is_eager:
                time.sleep(countdown)  # eager retries run at once; keep the backoff honest
            raise task.retry(exc=exc, countdown=countdown) from exc
        if give_up is not None:
            return give_up(exc)
        raise TaskFailedError(exc.to_dict()) from exc
