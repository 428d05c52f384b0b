"""Retry policy of every task: exponential backoff with full jitter (Celery's `retry_backoff`
formula, read from the settings at each retry), Retry-After honoured, non-retryable errors
failing at once with their data."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from celery.utils.time import get_exponential_backoff_interval

from codegen_tasks.errors import CodegenError, TaskFailedError
from codegen_tasks.settings import Settings, get_settings

T = TypeVar("T")
log = logging.getLogger("codegen_tasks.workers")

# Never retry sooner than this (or the backoff factor, when smaller): no tight loops.
MIN_COUNTDOWN_S = 0.5

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_jitter": True,
    "max_retries": get_settings().max_retries,
}


def backoff_s(settings: Settings, retries: int) -> float:
    """Celery's `retry_backoff` formula (full jitter over `factor * 2**retries`, capped at
    CODEGEN_RETRY_BACKOFF_MAX_S), computed in milliseconds so sub-second factors work."""
    millis = get_exponential_backoff_interval(
        factor=max(1, round(settings.retry_backoff_s * 1000)),
        retries=retries,
        maximum=round(settings.retry_backoff_max_s * 1000),
        full_jitter=True,
    )
    return float(millis) / 1000


def countdown_for(retries: int, exc: CodegenError, settings: Settings | None = None) -> float:
    """The backoff before retry number `retries + 1`; never sooner than Retry-After."""
    settings = settings or get_settings()
    retry_after = float(exc.data.get("retry_after") or 0)
    floor = min(MIN_COUNTDOWN_S, settings.retry_backoff_s)
    return max(backoff_s(settings, retries), retry_after, floor)


def run_with_retries(
    task: Task, work: Callable[[], T], give_up: Callable[[CodegenError], T] | None = None
) -> T:
    """Run `work`; retry retryable errors; hand the last one to `give_up` when retries run out.

    On workers a retry is a new delivery after the countdown (`task.retry`). Eager tasks
    (embedded mode) cannot go through `task.retry`: with `task_eager_propagates` Celery
    re-raises its Retry to the caller. They sleep the countdown and run `work` again here.
    """
    retries = task.request.retries or 0
    while True:
        try:
            return work()
        except CodegenError as exc:
            limit = get_settings().max_retries
            if not exc.retryable or retries >= limit:
                if give_up is not None:
                    return give_up(exc)
                raise TaskFailedError(exc.to_dict()) from exc
            countdown = countdown_for(retries, exc)
            log.warning(
                "%s: %s; retry %d/%d in %.1fs",
                task.name,
                exc.message,
                retries + 1,
                limit,
                countdown,
            )
            if not task.request.is_eager:
                raise task.retry(exc=exc, countdown=countdown, max_retries=limit) from exc
            time.sleep(countdown)
            retries += 1
