"""The retry loop of every task body: the waits of `codegen_tasks.pipeline.backoff`
(read from the settings at each retry), non-retryable errors failing at once with their
data. Runners say how to wait: the workers hand the countdown to Celery (a new delivery),
the embedded runner sleeps it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from codegen_tasks.errors import CodegenError, TaskFailedError
from codegen_tasks.pipeline.backoff import countdown_for
from codegen_tasks.settings import Settings

T = TypeVar("T")
log = logging.getLogger("codegen_tasks.workers")

# (countdown seconds, the error) -> returns once it is time to run the work again
Wait = Callable[[float, CodegenError], None]


def with_retries(
    name: str,
    work: Callable[[], T],
    give_up: Callable[[CodegenError], T] | None,
    *,
    settings: Settings,
    wait: Wait,
    retries: int = 0,
) -> T:
    """Run `work`; retry retryable errors after `wait`; hand the last one to `give_up` when
    retries run out (without one, TaskFailedError carries the error's data)."""
    while True:
        try:
            return work()
        except CodegenError as exc:
            limit = settings.max_retries
            if not exc.retryable or retries >= limit:
                if give_up is not None:
                    return _given_up(name, exc, give_up)
                raise TaskFailedError(exc.to_dict()) from exc
            countdown = countdown_for(retries, exc, settings)
            log.warning(
                "%s: %s; retry %d/%d in %.1fs", name, exc.message, retries + 1, limit, countdown
            )
            wait(countdown, exc)
            retries += 1


def _given_up(name: str, exc: CodegenError, give_up: Callable[[CodegenError], T]) -> T:
    """`give_up` records the failure; when that cannot be written either (the database is
    down), the task fails with the first error and the liveness sweep deals with the node."""
    try:
        return give_up(exc)
    except CodegenError as unrecorded:
        if not unrecorded.retryable:
            raise
        log.warning(
            "%s: %s; the failure cannot be recorded (%s): left to the liveness sweep",
            name,
            exc.message,
            unrecorded.message,
        )
        raise TaskFailedError(exc.to_dict()) from unrecorded
