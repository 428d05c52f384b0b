"""The retry policy of every task body: exponential backoff with full jitter (Celery's
`retry_backoff` formula, read from the settings at each retry), Retry-After honoured up to a
cap, non-retryable errors failing at once with their data. Runners say how to wait: the
workers hand the countdown to Celery (a new delivery), the embedded runner sleeps it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from celery.utils.time import get_exponential_backoff_interval

from codegen_tasks.errors import CodegenError, TaskFailedError
from codegen_tasks.settings import Settings

T = TypeVar("T")
log = logging.getLogger("codegen_tasks.workers")

# Never retry sooner than this (or the backoff factor, when smaller): no tight loops.
MIN_COUNTDOWN_S = 0.5

# (countdown seconds, the error) -> returns once it is time to run the work again
Wait = Callable[[float, CodegenError], None]


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


def countdown_for(retries: int, exc: CodegenError, settings: Settings) -> float:
    """The backoff before retry number `retries + 1`: never sooner than Retry-After (itself
    capped at CODEGEN_RETRY_AFTER_MAX_S), never later than half the visibility timeout, so a
    retry waiting for its ETA on the broker is not redelivered as a copy."""
    retry_after = min(float(exc.data.get("retry_after") or 0), settings.retry_after_max_s)
    floor = min(MIN_COUNTDOWN_S, settings.retry_backoff_s)
    countdown = max(backoff_s(settings, retries), retry_after, floor)
    return min(countdown, settings.visibility_timeout_s / 2)


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
                    return give_up(exc)
                raise TaskFailedError(exc.to_dict()) from exc
            countdown = countdown_for(retries, exc, settings)
            log.warning(
                "%s: %s; retry %d/%d in %.1fs", name, exc.message, retries + 1, limit, countdown
            )
            wait(countdown, exc)
            retries += 1
