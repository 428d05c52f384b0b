"""The wait before each retry, as one rule: exponential backoff with *equal* jitter.

Retry n (from 0) waits between half and all of `base(n) = min(BACKOFF_MAX, BACKOFF *
2**n)`: `base/2 + draw * base/2` for a uniform draw in [0, 1). Celery's `retry_backoff`
with `retry_jitter` draws over the whole `[0, base]` ("full jitter"), so an unlucky run
can spend every retry in almost no time; the lower half here is a floor no draw can take
away, and the sum of the floors is the outage the retries are sure to cover
(`covered_outage_s`: 63 s with the defaults). A provider's Retry-After (capped by
CODEGEN_RETRY_AFTER_MAX_S) only lengthens a wait; no wait outlives half the visibility
timeout, so a retry waiting for its ETA on the broker is never redelivered as a copy.
"""

from __future__ import annotations

import random

from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.time_limits import visibility_timeout_s
from codegen_tasks.settings import Settings

# Never retry sooner than this (or the backoff factor, when smaller): no tight loops.
MIN_COUNTDOWN_S = 0.5


def base_s(settings: Settings, retries: int) -> float:
    """The backoff ceiling of retry `retries`: factor * 2**retries, capped."""
    return min(settings.retry_backoff_max_s, settings.retry_backoff_s * 2.0**retries)


def ceiling_s(settings: Settings) -> float:
    """The longest any wait may be: half the visibility timeout."""
    return visibility_timeout_s(settings) / 2


def floor_s(settings: Settings, retries: int) -> float:
    """The shortest wait retry `retries` can get, whatever the jitter draws."""
    lowest = max(base_s(settings, retries) / 2, min(MIN_COUNTDOWN_S, settings.retry_backoff_s))
    return min(lowest, ceiling_s(settings))


def countdown_for(
    retries: int, exc: CodegenError, settings: Settings, draw: float | None = None
) -> float:
    """The wait before retry number `retries + 1`; `draw` in [0, 1) is the jitter (random
    when not given)."""
    jitter = random.random() if draw is None else draw
    base = base_s(settings, retries)
    backoff = max(base / 2 + jitter * base / 2, floor_s(settings, retries))
    retry_after = min(float(exc.data.get("retry_after") or 0), settings.retry_after_max_s)
    return min(max(backoff, retry_after), ceiling_s(settings))


def covered_outage_s(settings: Settings) -> float:
    """How long an outage the retries are sure to outwait: the sum of every floor."""
    return sum(floor_s(settings, n) for n in range(settings.max_retries))
